"""`mnemo keys`: create, list and revoke API keys, through the application's own pool and role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console

from server.cli.common import console, fail, keys_app, run_async


async def _with_pool(work):
    """Run `work(pool)` on the application's pool (row-level security applies, as in the API)."""
    from graphs.resources import open_resources

    resources = await open_resources()
    try:
        return await work(resources.pool)
    finally:
        await resources.close()


def _expiry(expires_days: int | None, expires_at: str | None) -> datetime | None:
    """--expires-days N or --expires-at DATE (ISO 8601; a date alone is midnight UTC), never both."""
    if expires_days is not None and expires_at is not None:
        fail("give --expires-days or --expires-at, not both")
    if expires_days is not None:
        if expires_days <= 0:
            fail("--expires-days must be a positive number of days")
        return datetime.now(UTC) + timedelta(days=expires_days)
    if expires_at is None:
        return None
    try:
        when = datetime.fromisoformat(expires_at)
    except ValueError:
        fail(f"--expires-at {expires_at!r} is not an ISO 8601 date or time (e.g. 2026-12-31)")
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when <= datetime.now(UTC):
        fail(f"--expires-at {expires_at} is in the past")
    return when


@keys_app.command("create")
def keys_create(
    tenant: str = typer.Option(..., help="Tenant the key belongs to."),
    user: str = typer.Option(..., help="User the key acts as."),
    name: str | None = typer.Option(None, help="A label for the key."),
    expires_days: int | None = typer.Option(None, help="Days until the key expires (default: never)."),
    expires_at: str | None = typer.Option(None, help="Expiry as an ISO 8601 date or time, e.g. 2026-12-31 (UTC)."),
) -> None:
    """Create an API key; the key is the last line printed (it is not stored, only its hash)."""
    from memory.db import tenant_connection
    from memory.users import create_api_key

    expires = _expiry(expires_days, expires_at)

    async def create(pool) -> str:
        async with tenant_connection(pool, tenant) as conn:
            return await create_api_key(conn, tenant_id=tenant, user_id=user, name=name, expires_at=expires)

    key = run_async(_with_pool(create))
    console.print(f"API key for tenant [bold]{tenant}[/], user [bold]{user}[/] (shown once):", highlight=False)
    print(key)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@keys_app.command("list")
def keys_list(
    tenant: str = typer.Option(..., help="Tenant whose keys are listed."),
    user: str | None = typer.Option(None, help="Only this user's keys."),
) -> None:
    """The tenant's keys: id, prefix, user, name, created, expires, revoked (never the key itself)."""
    from rich.table import Table

    from memory.db import tenant_connection
    from memory.users import list_keys

    async def fetch(pool) -> list[dict]:
        async with tenant_connection(pool, tenant) as conn:
            return await list_keys(conn, tenant_id=tenant, user_id=user)

    rows = run_async(_with_pool(fetch))
    if not rows:
        console.print(f"no keys for tenant {tenant}" + (f", user {user}" if user else ""), highlight=False)
        return
    table = Table("id", "prefix", "user", "name", "created", "expires", "revoked")
    for r in rows:
        table.add_row(str(r["id"]), r["prefix"], r["user_id"], r["name"] or "", _when(r["created_at"]),
                      _when(r["expires_at"]), _when(r["revoked_at"]))
    Console(width=200).print(table, highlight=False)


@keys_app.command("revoke")
def keys_revoke(
    key: str = typer.Argument(..., help="The key's id or its prefix, as `mnemo keys list` shows them."),
    tenant: str | None = typer.Option(None, help="Tenant of the key (needed when a prefix is in several)."),
) -> None:
    """Revoke a key: requests with it get 401 from now on. The row stays, for the audit trail."""
    from memory.db import tenant_connection
    from memory.users import key_tenants, revoke_key

    async def revoke(pool) -> list[dict] | str:
        owner = tenant
        if owner is None:
            async with pool.connection() as conn:  # no tenant yet: a SECURITY DEFINER lookup
                tenants = {t for _, t in await key_tenants(conn, key)}
            if len(tenants) > 1:
                return f"{key} matches keys of several tenants ({', '.join(sorted(tenants))}): add --tenant"
            if not tenants:
                return f"no key with id or prefix {key}"
            owner = tenants.pop()
        async with tenant_connection(pool, owner) as conn:
            revoked = await revoke_key(conn, tenant_id=owner, id_or_prefix=key)
        return revoked or f"no key with id or prefix {key} in tenant {owner}"

    result = run_async(_with_pool(revoke))
    if isinstance(result, str):
        fail(result)
    for r in result:
        console.print(f"revoked {r['id']} ({r['prefix']}, tenant {r['tenant_id']}, user {r['user_id']})",
                      highlight=False)

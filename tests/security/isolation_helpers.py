"""The parties of tests/security/test_isolation.py: a victim seeded through the public API, attackers with
a little data of their own, and the leak check every answer goes through.

Every fact the victim tells carries one random token (her canary), so a leak of any of her text shows
up as that token, whatever the route did to the text around it; her ids are collected from her own
answers and export, so every kind of id she owns is looked for too."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import make_key

# Alice's keys and bodies reused by attackers: a client's idempotency keys are often this simple.
ALICE_CHAT_KEY, ALICE_IMPORT_KEY = "retry-1", "retry-2"
NEUTRAL_CHAT = {"message": "Hello, what can you do for me?"}
NEUTRAL_IMPORT = {"title": "Notes", "messages": [{"role": "user", "content": "Just a note to myself."}]}
SHORTEST_ID = 16  # shorter ids (integers) would match unrelated digits


@dataclass
class Party:
    """One caller: a tenant, a user, a key, and the token in every fact they told."""

    name: str
    tenant_id: str
    user_id: str
    headers: dict[str, str]
    canary: str


@dataclass
class Victim:
    """Alice after seeding: her ids by kind, a page cursor of each list, and her idempotent answers."""

    party: Party
    ids: dict[str, list[str]] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)
    replays: dict[str, dict[str, Any]] = field(default_factory=dict)

    def secret_ids(self) -> set[str]:
        """Lowercased: every id of hers long enough not to match by chance."""
        return {v.lower() for values in self.ids.values() for v in values if len(v) >= SHORTEST_ID}

    def first(self, kind: str) -> str:
        return self.ids[kind][0]


async def party(resources, name: str, tenant_id: str, user_id: str) -> Party:
    key = await make_key(resources, tenant_id, user_id)
    return Party(name, tenant_id, user_id, {"Authorization": f"Bearer {key}"}, canary())


def canary() -> str:
    """Eleven random letters. Letters only: the extraction rules drop a fact holding a long run of digits
    (it could be a phone or card number), which made a hex token lose facts at random."""
    return "q" + "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:10])


def leaks(answer: httpx.Response, victim: Victim) -> list[str]:
    """What of the victim's an answer's headers or body (a whole SSE stream included) holds: her canary,
    or any of her ids but those the request itself carried (an error message naming the id it was
    sent tells the sender nothing new). The canary is never excused: no attacker's request holds it
    unless its check says so."""
    text = (answer.text + json.dumps(dict(answer.headers))).lower()
    request = answer.request
    sent = (str(request.url) + request.content.decode(errors="replace")).lower()
    found = [victim.party.canary] if victim.party.canary.lower() in text else []
    return found + sorted(s for s in victim.secret_ids() if s in text and s not in sent)


async def ok(request: Awaitable[httpx.Response], status: int | tuple[int, ...] = 200) -> Any:
    """The JSON (or text) of an answer that must have this status."""
    answer = await request
    statuses = (status,) if isinstance(status, int) else status
    assert answer.status_code in statuses, f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.content and answer.headers.get("content-type", "").startswith(
        "application/json") else answer.text


async def seed_alice(client: httpx.AsyncClient, alice: Party) -> Victim:
    """Every kind of row alice can own, through the public API: turns (JSON and streamed) that extract
    memories of every category, an imported thread with metadata (extracted, then archived), a memory
    by POST and by bulk, a correction, a hint and its feedback, usage, a starred and a renamed thread."""
    c, h = alice.canary, alice.headers
    chat = lambda body: ok(client.post("/v1/chat", json=body, headers=h))  # noqa: E731
    first = await chat({"message": f"I live in Zorbville{c} and I work at Plonkcorp{c}. "
                                   f"I'm allergic to quorbnut{c}."})
    main = first["thread_id"]
    await chat({"message": f"I like jazz by Wumbo{c}.", "thread_id": main})
    streamed = await ok(client.post("/v1/chat", headers=h, json={
        "message": f"I'm planning to visit Qarth{c} next month.", "stream": True}))
    assert f"Qarth{c}" in streamed
    plans = await chat({"message": "Let me think."})
    await chat({"message": f"My goal is to run the Xandar{c} marathon.", "thread_id": plans["thread_id"]})
    imported = await ok(client.post("/v1/threads/import", headers=h, json={
        "title": f"Imported Trellis{c}", "extract": True, "messages": [
            {"role": "user", "content": f"My side project is Mossline{c}.", "metadata": {"source": f"crm-{c}"}},
            {"role": "assistant", "content": f"Noted, Mossline{c} it is.", "created_at": "2024-05-01T10:00:00Z"},
            {"role": "user", "content": f"We use Tallyx{c} as our CRM.", "metadata": {"ticket": f"T-{c}"}}]}), 201)
    assert imported["remembered"] >= 2, imported
    await ok(client.post("/v1/memories", headers=h, json={
        "category": "preference", "key": "preference.food", "value": f"glimbercake{c}"}), 201)
    await ok(client.post("/v1/memories/bulk", headers=h, json={"items": [
        {"category": "fact", "key": "fact.pet", "value": f"a cat named Flarp{c}"},
        {"category": "business", "key": "business.clients", "value": f"hotels in Gorsk{c}"}]}), 201)
    [location] = (await ok(client.get("/v1/memories", params={"key": "profile.location"}, headers=h)))["items"]
    await ok(client.patch(f"/v1/memories/{location['id']}", headers=h,
                          json={"value": f"Quillport{c}", "reason": f"moved to Quillport{c}"}))
    hinted = await chat({"message": "Any music recommendation for tonight?"})
    [hint] = [x for x in hinted["hints"] if f"Wumbo{c}" in x["text"]]
    await ok(client.post(f"/v1/hints/{hint['id']}/feedback", headers=h, json={"action": "applied"}))
    await ok(client.patch(f"/v1/threads/{main}", headers=h, json={"title": f"Zorb{c} life", "starred": True}))
    await ok(client.post("/v1/threads", headers=h, json={"title": f"Empty Zorb{c}",
                                                          "metadata": {"owner": f"alice-{c}"}}), 201)
    await ok(client.post("/v1/threads/archive", headers=h, json={"thread_ids": [imported["thread_id"]]}))
    victim = Victim(alice)
    victim.replays["chat"] = await ok(client.post("/v1/chat", json=NEUTRAL_CHAT,
                                                  headers={**h, "Idempotency-Key": ALICE_CHAT_KEY}))
    victim.replays["import"] = await ok(client.post("/v1/threads/import", json=NEUTRAL_IMPORT,
                                                    headers={**h, "Idempotency-Key": ALICE_IMPORT_KEY}), 201)
    await collect_ids(client, victim)
    return victim


async def collect_ids(client: httpx.AsyncClient, victim: Victim) -> None:
    """Her ids of every kind, from her export and each thread's history, and a second-page cursor of
    each list (an attacker may send it back)."""
    h = victim.party.headers
    export = await ok(client.get("/v1/memories/export", headers=h))
    ids = victim.ids
    for kind, section in (("thread", "threads"), ("message", "messages"), ("memory", "memories"),
                          ("hint", "hints"), ("usage", "usage"), ("correction", "corrections"),
                          ("api_key", "api_keys"), ("session", "sessions")):
        ids[kind] = [str(row["id"]) for row in export[section]]
    ids["checkpoint"] = [item["id"] for thread in ids["thread"] for item in
                         (await ok(client.get(f"/v1/threads/{thread}/history", headers=h)))["items"]]
    for kind, path in (("thread", "/v1/threads"), ("memory", "/v1/memories")):
        page = await ok(client.get(path, params={"limit": 1}, headers=h))
        assert page["next_cursor"], page
        victim.cursors[kind] = page["next_cursor"]
    for kind in ("thread", "message", "memory", "hint", "usage", "correction", "checkpoint", "session"):
        assert ids[kind], f"alice has no {kind}: the seeding no longer covers it"


async def seed_attacker(client: httpx.AsyncClient, attacker: Party) -> None:
    """A little data of their own, in the categories alice has, so the same queries find something."""
    c, h = attacker.canary, attacker.headers
    await ok(client.post("/v1/chat", headers=h, json={
        "message": f"I live in Bobtown{c} and I'm allergic to peanuts. I like rock by Zed{c}."}))
    await ok(client.post("/v1/memories", headers=h, json={
        "category": "preference", "key": "preference.food", "value": f"pizza{c}"}), 201)


async def snapshot(client: httpx.AsyncClient, who: Party) -> dict[str, Any]:
    """What `who` has, as they read it: the export (less its time and key use), stats and context."""
    h = who.headers
    export = await ok(client.get("/v1/memories/export", headers=h))
    export.pop("exported_at")
    export["api_keys"] = [{k: v for k, v in key.items() if "used" not in k} for key in export["api_keys"]]
    stats = await ok(client.get("/v1/memories/stats", headers=h))
    stats.pop("cache")  # this process's cache lookups, everyone's: not the user's data
    return {"export": export, "stats": stats,
            "context": await ok(client.get("/v1/memories/context", headers=h)),
            "threads": await ok(client.get("/v1/threads", params={"limit": 200}, headers=h))}

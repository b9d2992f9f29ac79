"""Tenant and user isolation over every endpoint of the API, read from the OpenAPI document so a route
added later is attacked too (and fails here until the tables below say how to call it).

Alice (tenant A) owns rows of every kind, seeded through the public API with one canary token in every
fact she tells. Three attackers, each with a key and a little data of their own, call every operation:
bob (tenant A, another user), mallory (tenant B) and twin (tenant B, user id "alice": a query that
forgets the tenant and filters on the user alone would hand her alice's rows).
- An operation with an id in its path, called with each of alice's ids of that kind: 404, nothing done.
- Every other operation (lists, search with alice's canary words, context, export, stats, usage, chat
  JSON and streamed, extract, graph, health, metrics), and those taking alice's ids in the query or the
  body: no canary and none of her ids in any answer (an id the request itself carried excepted: an error
  message may name it). A few answers must show the attacker's own data, so a broken query cannot pass.
- Hints, idempotency keys and restatements are per caller; alice's data is the same after all of it;
  DELETE /v1/me forgets its caller only (run last).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from server.app import app
from tests.security.isolation_helpers import (
    ALICE_CHAT_KEY,
    ALICE_IMPORT_KEY,
    NEUTRAL_CHAT,
    NEUTRAL_IMPORT,
    Party,
    Victim,
    leaks,
    ok,
    party,
    seed_alice,
    seed_attacker,
    snapshot,
)

ATTACKERS = ("bob", "mallory", "twin")
SPEC = app.openapi()["paths"]
OPERATIONS = [(method.upper(), path) for path, ops in SPEC.items() for method in ops]

# The kind of alice's ids each path parameter takes. A route with a parameter missing here fails.
PATH_IDS = {"thread_id": "thread", "memory_id": "memory", "hint_id": "hint"}
# Bodies of the operations with an id in their path, the most harmful an attacker could send.
PATH_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/v1/threads/{thread_id}"): {"title": "taken", "starred": False, "archived": True},
    ("PATCH", "/v1/memories/{memory_id}"): {"value": "taken", "category": "fact", "reason": "mine now"},
    ("POST", "/v1/hints/{hint_id}/feedback"): {"action": "dismissed"},
}
# Operations allowed to answer 422 to an id of alice's, because they validate it before any lookup.
# None: every id parameter takes a string or a UUID, alice's ids are valid ones of their kind, so each
# route looks them up and must find nothing.
VALIDATED_FIRST: dict[tuple[str, str], str] = {}

ATTACK_CHAT = {"message": "Where do I live and what am I allergic to? Any music recommendation for dinner tonight?"}
ATTACK_COMPLETION = {"model": "mnemo", "messages": [{"role": "user", "content": ATTACK_CHAT["message"]}]}


@dataclass(frozen=True)
class Call:
    """One request of the sweep; `own` says the answer must show the attacker's own canary."""

    params: dict[str, Any] | None = None
    json: Any = None
    status: int | tuple[int, ...] = 200
    own: bool = False


def _search(v: Victim) -> list[Call]:
    c = v.party.canary
    wide = {"k": 50, "min_score": 0}
    return [
        Call(json={"query": f"Zorbville{c} Quillport{c} Plonkcorp{c} quorbnut{c} Wumbo{c}", **wide}),
        Call(json={"query": f"Mossline{c} Tallyx{c} Trellis{c} glimbercake{c}", "types": ["message"], **wide}),
        Call(json={"query": "where do I live", "types": ["memory"], **wide}, own=True),
        Call(json={"query": "jazz music, food and allergies", "categories": ["preference", "constraint"], **wide},
             own=True),
        Call(json={"query": "side project marathon trip CRM", **wide}),
        *[Call(json={"query": "anything", "thread_id": t}, status=404) for t in v.ids["thread"]],
    ]


# How to call each operation with no id in its path; a GET without an entry is called bare, any other
# method without one fails the sweep. Ids of alice's in a query or a body go here.
CALLS: dict[tuple[str, str], Callable[[Victim], list[Call]]] = {
    ("GET", "/v1/threads"): lambda v: [
        Call(params={"limit": 200}), Call(params={"archived": True}), Call(params={"starred": True}),
        Call(params={"cursor": v.cursors["thread"]})],
    ("POST", "/v1/threads"): lambda v: [Call(json={"title": "mine"}, status=201)],
    ("POST", "/v1/threads/import"): lambda v: [Call(json={"extract": True, "messages": [
        {"role": "user", "content": "Where do I live? Remind me of my side project."}]}, status=201)],
    ("POST", "/v1/threads/archive"): lambda v: [
        *[Call(json={"thread_ids": [t]}, status=404) for t in v.ids["thread"]],
        Call(json={"thread_ids": v.ids["thread"]}, status=404)],
    ("GET", "/v1/memories"): lambda v: [
        Call(params={"include_superseded": True, "limit": 200}, own=True),
        Call(params={"key": "profile.location"}, own=True), Call(params={"category": "business"}),
        Call(params={"cursor": v.cursors["memory"]}),
        *[Call(params={"thread_id": t, "include_superseded": True}) for t in v.ids["thread"]]],
    ("POST", "/v1/memories"): lambda v: [
        Call(json={"category": "preference", "key": "preference.drink", "value": "green tea"}, status=(200, 201))],
    ("POST", "/v1/memories/bulk"): lambda v: [Call(json={"items": [
        {"category": "business", "key": "business.clients", "value": "hotels"},
        {"category": "fact", "key": "fact.pet", "value": "a cat"}]}, status=201)],
    ("POST", "/v1/memories/forget"): lambda v: [  # answers {"forgotten": 0}; alice's snapshot proves it
        *[Call(json={"ids": [m]}) for m in v.ids["memory"]], Call(json={"ids": v.ids["memory"][:200]})],
    ("POST", "/v1/memories/extract"): lambda v: [
        Call(json={"text": "Where do I live? What food do I like?",
                   "context": [{"role": "user", "content": "Tell me about my side project."}]})],
    ("GET", "/v1/memories/export"): lambda v: [Call(own=True)],
    ("GET", "/v1/memories/context"): lambda v: [Call(own=True)],
    ("POST", "/v1/search"): _search,
    ("POST", "/v1/chat/completions"): lambda v: [
        Call(json=ATTACK_COMPLETION), Call(json={**ATTACK_COMPLETION, "stream": True}),
        *[Call(json={**ATTACK_COMPLETION, "metadata": {"thread_id": t}}, status=404) for t in v.ids["thread"]]],
    ("POST", "/v1/chat"): lambda v: [
        Call(json=ATTACK_CHAT), Call(json={**ATTACK_CHAT, "stream": True}),
        *[Call(json={**ATTACK_CHAT, "thread_id": t}, status=404) for t in v.ids["thread"]],
        Call(json={**ATTACK_CHAT, "thread_id": v.first("thread"), "stream": True}, status=404)],
    ("GET", "/v1/usage"): lambda v: [Call(), Call(params={"since": "2020-01-01", "until": "2020-12-31"})],
}
# Called last, by their own test: they end the attacker.
LAST = {("DELETE", "/v1/me")}
# Served outside the OpenAPI document.
UNDOCUMENTED = [("GET", "/metrics")]

PATH_OPERATIONS = [op for op in OPERATIONS if "{" in op[1]]
PLAIN_OPERATIONS = [op for op in OPERATIONS if "{" not in op[1] and op not in LAST] + UNDOCUMENTED


def _params(ops: list[tuple[str, str]]) -> list:
    return [pytest.param(method, path, id=f"{method} {path}") for method, path in ops]


@dataclass
class World:
    victim: Victim
    attackers: dict[str, Party]
    before: dict[str, Any]


@pytest.fixture(scope="module")
async def world(client, resources) -> World:
    run = uuid.uuid4().hex[:8]
    tenant_a, tenant_b = f"iso-a-{run}", f"iso-b-{run}"
    attackers = {"bob": await party(resources, "bob", tenant_a, "bob"),
                 "mallory": await party(resources, "mallory", tenant_b, "mallory"),
                 "twin": await party(resources, "twin", tenant_b, "alice")}
    for attacker in attackers.values():
        await seed_attacker(client, attacker)
    # Alice last: what any cache holds last is hers.
    victim = await seed_alice(client, await party(resources, "alice", tenant_a, "alice"))
    return World(victim, attackers, await snapshot(client, victim.party))


def _urls(path: str, victim: Victim) -> list[str]:
    """The path with each of alice's ids of its first parameter's kind (other parameters: her first id)."""
    names = re.findall(r"{(\w+)}", path)
    missing = [n for n in names if n not in PATH_IDS]
    assert not missing, f"{path}: no kind of id for path parameter(s) {missing}: add them to PATH_IDS"
    fixed = {n: victim.first(PATH_IDS[n]) for n in names[1:]}
    return [path.format(**{names[0]: ident, **fixed}) for ident in victim.ids[PATH_IDS[names[0]]]]


def _path_body(method: str, path: str) -> dict[str, Any] | None:
    if "requestBody" not in SPEC[path][method.lower()]:
        return None
    assert (method, path) in PATH_BODIES, f"{method} {path} takes a body: add one to PATH_BODIES"
    return PATH_BODIES[(method, path)]


def _calls(method: str, path: str, victim: Victim) -> list[Call]:
    if (method, path) in CALLS:
        return CALLS[(method, path)](victim)
    assert method == "GET", f"{method} {path}: say how to call it in CALLS (or LAST for a destructive one)"
    return [Call()]


def test_the_tables_cover_every_route_and_no_stale_one():
    for method, path in OPERATIONS:
        for name in re.findall(r"{(\w+)}", path):
            assert name in PATH_IDS, f"{method} {path}: path parameter {name} has no kind of id in PATH_IDS"
        has_body = "requestBody" in SPEC[path][method.lower()]
        if "{" in path:
            assert not has_body or (method, path) in PATH_BODIES, f"{method} {path}: no body in PATH_BODIES"
        elif method != "GET":
            assert (method, path) in CALLS or (method, path) in LAST, f"{method} {path}: no entry in CALLS"
    stale = (set(PATH_BODIES) | set(CALLS) | LAST | set(VALIDATED_FIRST)) - set(OPERATIONS)
    assert not stale, f"table entries for operations that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize(("method", "path"), _params([op for op in PATH_OPERATIONS if op[0] == "GET"]))
async def test_alice_reaches_each_of_her_ids(client, world, method, path):
    """The control: the ids the attackers send are alice's, of the kind the route takes."""
    for url in _urls(path, world.victim):
        await ok(client.get(url, headers=world.victim.party.headers))


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize(("method", "path"), _params(PATH_OPERATIONS))
async def test_alices_ids_are_not_found_by_others(client, world, method, path, attacker):
    who, body = world.attackers[attacker], _path_body(method, path)
    allowed = (404, 422) if (method, path) in VALIDATED_FIRST else (404,)
    for url in _urls(path, world.victim):
        answer = await client.request(method, url, json=body, headers=who.headers)
        assert answer.status_code in allowed, f"{attacker}: {method} {url} answered {answer.status_code}: {answer.text}"
        assert answer.json()["error"]["code"] == ("not_found" if answer.status_code == 404 else "invalid_request")
        assert not leaks(answer, world.victim), f"{attacker}: {method} {url} leaked {leaks(answer, world.victim)}"


@pytest.mark.parametrize("attacker", ATTACKERS)
@pytest.mark.parametrize(("method", "path"), _params(PLAIN_OPERATIONS))
async def test_nothing_of_alice_reaches_others(client, world, method, path, attacker):
    """Each call of the operation's CALLS entry, as the attacker: the expected status, no canary and no id
    of alice's; and for a GET, alice's own answer just before holds nothing of any attacker's."""
    who = world.attackers[attacker]
    for call in _calls(method, path, world.victim):
        if method == "GET":  # alice asks first (what it caches is hers) and gets nothing of the attackers'
            mine = (await client.get(path, params=call.params, headers=world.victim.party.headers)).text
            assert not [a.name for a in world.attackers.values() if a.canary in mine], f"alice: {path}: {mine}"
        answer = await client.request(method, path, params=call.params, json=call.json, headers=who.headers)
        where = f"{attacker}: {method} {answer.request.url} {call.json or ''}"
        expected = (call.status,) if isinstance(call.status, int) else call.status
        assert answer.status_code in expected, f"{where} answered {answer.status_code}: {answer.text}"
        assert not leaks(answer, world.victim), f"{where} leaked {leaks(answer, world.victim)}: {answer.text}"
        if call.own:
            assert who.canary in answer.text, f"{where} did not show the caller's own data: {answer.text}"


@pytest.mark.parametrize("attacker", ATTACKERS)
async def test_hints_for_others_are_about_their_own_memories(client, world, attacker):
    who, alice_memories = world.attackers[attacker], set(world.victim.ids["memory"])
    for message in ("Any music recommendation for tonight?", "What should I cook for dinner? Something sweet?"):
        for stream in (False, True):
            answer = await client.post("/v1/chat", json={"message": message, "stream": stream}, headers=who.headers)
            assert answer.status_code == 200 and not leaks(answer, world.victim), answer.text
            if not stream:
                hints = answer.json()["hints"]
                assert all(h["memory_id"] not in alice_memories for h in hints), hints
                assert any(who.canary in h["text"] for h in hints), f"{attacker} got no hint of their own: {hints}"


@pytest.mark.parametrize("attacker", ATTACKERS)
async def test_idempotency_keys_are_per_caller(client, world, attacker):
    """Alice's key and body, sent by another caller: run for them, never alice's answer replayed."""
    who = world.attackers[attacker]
    for path, key, body, status in (("/v1/chat", ALICE_CHAT_KEY, NEUTRAL_CHAT, 200),
                                    ("/v1/threads/import", ALICE_IMPORT_KEY, NEUTRAL_IMPORT, 201)):
        answer = await client.post(path, json=body, headers={**who.headers, "Idempotency-Key": key})
        assert answer.status_code == status, answer.text
        assert "idempotent-replayed" not in answer.headers, f"{attacker} got alice's answer to {path}"
        assert answer.json()["thread_id"] not in world.victim.ids["thread"]
        assert not leaks(answer, world.victim), answer.text


@pytest.mark.parametrize("tenant", ["a", "b"])
async def test_restating_alices_memories_stores_the_callers_own(client, world, resources, tenant):
    """A restatement answers the memory already stored: the caller's, never alice's identical one. A user
    of its own (alice's canary is in what it posts, which the sweep's attackers never send)."""
    tenant_id = world.victim.party.tenant_id if tenant == "a" else world.attackers["mallory"].tenant_id
    copycat = await party(resources, "copycat", tenant_id, f"copycat-{tenant}")
    export = await ok(client.get("/v1/memories/export", headers=world.victim.party.headers))
    current = [{k: m[k] for k in ("category", "key", "value", "polarity")}
               for m in export["memories"] if m["superseded_by"] is None and m["valid_until"] is None]
    assert current
    for memory in current:
        created = await ok(client.post("/v1/memories", json=memory, headers=copycat.headers), 201)
        assert created["id"] not in world.victim.ids["memory"], memory
        again = await ok(client.post("/v1/memories", json=memory, headers=copycat.headers), 200)
        assert again["id"] == created["id"]
    bulk = await ok(client.post("/v1/memories/bulk", json={"items": current}, headers=copycat.headers), 201)
    assert bulk["created"] == 0 and not set(bulk["ids"]) & set(world.victim.ids["memory"])


async def test_alice_is_unchanged_after_the_attacks(client, world):
    """No attacker's PATCH, DELETE, feedback, archive, restatement or turn touched anything of hers."""
    assert await snapshot(client, world.victim.party) == world.before


async def test_forgetting_an_attacker_forgets_only_them(client, world):
    """DELETE /v1/me by each attacker (twin, who shares alice's user id, first): their key stops working,
    alice and the attackers not yet forgotten keep everything."""
    remaining = dict(world.attackers)
    for name in ("twin", "mallory", "bob"):
        who = remaining.pop(name)
        answer = await client.delete("/v1/me", headers=who.headers)
        assert answer.status_code == 204 and not leaks(answer, world.victim), answer.text
        assert (await client.get("/v1/threads", headers=who.headers)).status_code == 401
        assert await snapshot(client, world.victim.party) == world.before, f"forgetting {name} changed alice"
        for other in remaining.values():
            export = await ok(client.get("/v1/memories/export", headers=other.headers))
            assert other.canary in str(export["memories"]), f"forgetting {name} erased {other.name}"

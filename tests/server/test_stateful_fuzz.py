"""A stateful walk over the API: schemathesis draws each operation's requests (valid and invalid), and
the walk fills their path parameters and `thread_id` fields with the ids earlier answers gave (threads
made by chat and POST /v1/threads, memories, hints), so requests reach real rows in every state they
pass through: renamed, archived, corrected, forgotten, deleted. No answer may be a 5xx or differ from
what the document declares, and at the end everything the walk stored reads back: every list and
export answers 200, every thread it made answers its messages (or 404 once deleted).

The stateless fuzz (test_openapi_fuzz.py) sends mostly unknown ids; this walk is its stateful mode
(schemathesis's own needs OpenAPI links, which this document does not declare). Seeded: the same
walk every run; MNEMO_FUZZ_SEED picks another.
"""

from __future__ import annotations

import os
import random
from collections import defaultdict
from typing import Any

import schemathesis
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from server.app import create_app
from tests.conftest import asgi_client, grew, metric_samples
from tests.server.openapi_cases import CHECKS, LAST, draw_cases, httpx_kwargs, negatable

SEED = int(os.environ.get("MNEMO_FUZZ_SEED", "20261203"))
STEPS = 800
POOL = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 3}  # cases drawn per operation and mode
KNOWN_ID = 0.85  # share of requests whose ids are ones the walk has seen (else schemathesis's own)
ID_KINDS = ("thread_id", "memory_id", "hint_id")


def harvest(found: dict[str, set[str]], path: str, data: Any, parent: str = "") -> None:
    """Collect the ids an answer holds: `thread_id` anywhere, `id` of threads, memories and hints."""
    if isinstance(data, list):
        for item in data:
            harvest(found, path, item, parent)
        return
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, dict | list):
            harvest(found, path, value, key)
        elif isinstance(value, str) and key in ID_KINDS:
            found[key].add(value)
        elif isinstance(value, str) and key == "id":
            if parent == "hints":
                found["hint_id"].add(value)
            elif parent in ("remembered", "forgotten", "updated", "memory") or path.startswith("/v1/memories"):
                found["memory_id"].add(value)
            elif path.startswith("/v1/threads") and parent in ("", "items", "threads"):
                found["thread_id"].add(value)


def with_known_ids(case, found: dict[str, set[str]], rng: random.Random) -> None:
    """Point the case's path parameters and body `thread_id` at ids the walk has seen (mostly)."""
    for name in list(case.path_parameters or {}):
        if found.get(name) and rng.random() < KNOWN_ID:
            case.path_parameters[name] = rng.choice(sorted(found[name]))
    body = case.body if isinstance(case.body, dict) else None
    if body is not None and "thread_id" in body and found["thread_id"] and rng.random() < KNOWN_ID:
        body["thread_id"] = rng.choice(sorted(found["thread_id"]))


async def test_a_stateful_walk_finds_no_server_error_and_reads_everything_back(settings, runtime, auth):
    app = create_app(settings.model_copy(update={"rate_limit": "0"}), runtime=runtime)
    document = app.openapi()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    walk_ops = [op for op in operations if op.label not in LAST]
    pools = {op.label: [(mode, case) for mode, count in POOL.items()
                        if mode is GenerationMode.POSITIVE or negatable(document, op)
                        for case in draw_cases(op.as_strategy(generation_mode=mode), count)]
             for op in walk_ops}
    chat = next(op for op in walk_ops if op.label == "POST /v1/chat")
    rng = random.Random(SEED)
    found: dict[str, set[str]] = defaultdict(set)
    statuses: dict[str, set[int]] = defaultdict(set)
    failures: list[str] = []

    async with asgi_client(app) as http:
        before = metric_samples((await http.get("/metrics")).text)
        for _ in range(3):  # a few real turns first, so threads, memories and hints exist to walk over
            r = await http.post("/v1/chat", json={"message": "I live in Lyon and I am vegetarian."}, headers=auth)
            assert r.status_code == 200, r.text
            harvest(found, "/v1/chat", r.json())
        for step in range(STEPS):
            op = chat if step % 5 == 0 else rng.choice(walk_ops)  # turns keep making state to walk over
            if not pools[op.label]:
                continue
            mode, case = rng.choice(pools[op.label])
            with_known_ids(case, found, rng)
            kwargs = httpx_kwargs(case, auth)
            response = await http.request(**kwargs)
            statuses[op.label].add(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))
            except FailureGroup as exc:
                failures.append(f"step {step}: {op.label} [{mode.value}] {kwargs.get('url')} -> "
                                f"{response.status_code}: {exc}")
            if response.status_code < 300 and "json" in response.headers.get("content-type", ""):
                harvest(found, op.path, response.json())

        read_back = ["/v1/threads", "/v1/memories", "/v1/memories/export", "/v1/memories/stats",
                     "/v1/sessions", "/v1/usage", "/v1/memories/context"]
        for url in read_back:
            r = await http.get(url, headers=auth)
            if r.status_code != 200:
                failures.append(f"read back {url} -> {r.status_code}: {r.text[:300]}")
        for thread_id in sorted(found["thread_id"]):
            r = await http.get(f"/v1/threads/{thread_id}/messages", headers=auth)
            if r.status_code not in (200, 404):
                failures.append(f"read back thread {thread_id} -> {r.status_code}: {r.text[:300]}")
        after = metric_samples((await http.get("/metrics")).text)

    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:15])
    # every turn's checkpoint was written (imported metadata once made it unwritable: a TypeError after the commit)
    assert grew(before, after, "mnemo_checkpoint_failures_total") == 0
    # the walk did reach stored rows: known ids answered 2xx on their own routes, not only 404s
    reached = {label for label, codes in statuses.items() if "{" in label and any(c < 300 for c in codes)}
    assert "GET /v1/threads/{thread_id}" in reached, dict(statuses)
    assert any("/v1/memories/{memory_id}" in label for label in reached), dict(statuses)  # read, corrected or deleted
    assert len(found["thread_id"]) >= 3 and found["memory_id"], dict(found)

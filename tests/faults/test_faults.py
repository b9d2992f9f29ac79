"""The consistency invariants under every fault bench/faults.py injects into real processes: no answered
turn lost, none stored twice, no thread whose stored turns or checkpoint disagree (forked), every turn
answered in the end (retried with its Idempotency-Key), and a quick recovery once a service is back.

One PostgreSQL and one Redis for the module (the harness's own, which it stops and kills); each test gets a
fresh database and its own `mnemo serve` (and `mnemo worker`). The last test checks the checker: the
same read-back finds a lost, a duplicated and a forked turn planted in a healthy run's tables.
"""

from __future__ import annotations

import httpx
import psycopg
import pytest

from bench.faults import FAULTS, SAME_THREAD_TURNS, Load, Services, new_turn, probe, read_back, run_fault, send_turn
from bench.faults import stack as mnemo_stack

pytestmark = [pytest.mark.faults, pytest.mark.slow]

CLIENTS, TURNS = 3, 6  # redis-down-same-thread sends 16 turns at once on one thread whatever these say
# From the service back to the first 200 answered after it. serve-kill's includes the new process's own
# start (imports, embedding model, pool): about 2-3 s here, allowed more on a loaded machine. worker-kill's
# is until the jobs the kill cut short are done: the new worker's start, --stalled-after 3 s, a sweep
# (every 2 s) and the job itself (~1 s): about 5-6 s here.
RECOVERY_LIMIT_S = {"redis-kill": 5.0, "postgres-restart": 5.0, "serve-kill": 15.0, "worker-kill": 15.0}


@pytest.fixture(scope="module")
def services():
    started = Services.start()
    yield started
    started.close()


def _explain(verdict) -> str:
    return "\n".join([str(verdict.as_dict() | {"logs": ""}), *verdict.notes, verdict.logs])


@pytest.mark.parametrize("fault", FAULTS)
async def test_invariants_hold_under(fault, services):
    verdict = await run_fault(fault, services, clients=CLIENTS, turns=TURNS)
    why = _explain(verdict)
    assert verdict.sent >= (SAME_THREAD_TURNS if fault == "redis-down-same-thread" else CLIENTS * TURNS), why
    assert verdict.lost == 0, why
    assert verdict.duplicated == 0, why
    assert verdict.forked == 0, why
    assert verdict.mismatched == 0, why
    assert verdict.acknowledged == verdict.sent, why
    assert not [n for n in verdict.notes if not n.startswith("info:")], why
    if fault in RECOVERY_LIMIT_S:
        assert verdict.recovery_s is not None and verdict.recovery_s <= RECOVERY_LIMIT_S[fault], why
    if fault == "redis-down-same-thread":
        assert verdict.conflicts > 0, why  # the turns did run into each other


async def test_the_read_back_finds_lost_duplicated_and_forked_turns(services):
    load = Load()
    async with mnemo_stack(services, "checker") as s:
        async with httpx.AsyncClient(base_url=s.url, timeout=30) as http:
            for client in ("a", "b", "c"):
                thread_id = None
                for i in range(3):
                    turn = await send_turn(http, load, new_turn(client, f"{client} turn {i}.", thread_id))
                    thread_id = turn.thread_id
        await probe(s.url, load)
        healthy = await read_back(s.database_url, load)
        assert (healthy.lost, healthy.duplicated, healthy.forked, healthy.mismatched) == (0, 0, 0, 0), healthy.notes

        by_client = {t.client: t for t in load.turns}  # each client's last turn
        async with await psycopg.AsyncConnection.connect(s.database_url, autocommit=True) as conn:
            # a: an answered turn's message is gone (changed), so its checkpoint no longer matches either
            await conn.execute("UPDATE messages SET content = 'something else' WHERE content = %s",
                               (by_client["a"].text,))
            # b: a user message stored twice (a second copy at the end of its thread)
            await conn.execute(
                "INSERT INTO messages (tenant_id, user_id, thread_id, role, content)"
                " SELECT tenant_id, user_id, thread_id, role, content FROM messages WHERE content = %s",
                (by_client["b"].text,))
            # c: an answer that is not the one the client got
            await conn.execute("UPDATE messages SET content = 'another reply' WHERE id = %s",
                               (by_client["c"].message_id,))
        broken = await read_back(s.database_url, load)
    assert broken.lost == 1, broken.notes
    assert broken.duplicated == 1, broken.notes
    assert broken.mismatched == 1, broken.notes
    assert broken.forked == 3, broken.notes

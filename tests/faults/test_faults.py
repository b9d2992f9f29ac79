"""The consistency invariants under every fault we inject into real processes (bench/faults.py): no
answered turn lost, none stored twice, no thread whose checkpoint disagrees with its stored messages,
every turn answered in the end (retried with its Idempotency-Key), and quick recovery once a service
is back. Each test starts its own PostgreSQL, Redis and `mnemo serve` (and `mnemo worker`)."""

from __future__ import annotations

import pytest

from bench.faults import FAULTS, run_fault

pytestmark = [pytest.mark.faults, pytest.mark.slow]
RECOVERY_LIMIT_S = {"redis-kill": 5.0, "postgres-restart": 5.0, "serve-kill": 30.0, "worker-kill": 5.0}


@pytest.mark.parametrize("fault", FAULTS)
async def test_invariants_hold_under(fault):
    clients = 8 if fault == "redis-down-same-thread" else 2  # eight turns at once on one thread, two processes
    verdict = await run_fault(fault, clients=clients, turns=4)
    assert verdict.sent > 0
    assert verdict.lost == 0, verdict
    assert verdict.duplicated == 0, verdict
    assert verdict.forked == 0, verdict.notes
    assert verdict.acknowledged == verdict.sent, verdict.notes
    assert not verdict.notes, verdict.notes
    if fault in RECOVERY_LIMIT_S:
        assert verdict.recovery_s is not None and verdict.recovery_s <= RECOVERY_LIMIT_S[fault], verdict

"""`mnemo bench preferences` on a tiny simulated day: figures consistent, no stale read. The hit rate
itself depends on timing (time runs thousands of times faster here), so it is not asserted."""

from bench.preferences import format_report, run, schedule


def test_schedule_spreads_sessions_over_the_day():
    plan = schedule(users=3, sessions=(2, 3), turns=(3, 5), gap=(20, 180), resume_rate=0.0,
                    resume_gap=(1800, 3600), update_rate=0.5, seed=1)
    assert plan == sorted(plan)
    for user in range(3):
        starts = [t.at for t in plan if t.user == user and t.first]
        assert 2 <= len(starts) <= 3 and all(b - a > 3600 for a, b in zip(starts, starts[1:], strict=False))
    assert not any(t.update and t.first for t in plan) and any(t.update for t in plan)


async def test_a_tiny_day_has_no_stale_read(runtime):
    result = await run(users=3, sessions=(2, 2), turns=(3, 4), update_rate=0.5, speedup=86400 / 2,
                       resources=runtime.resources)
    assert result["stale_reads"] == 0 and result["updates"] > 0
    assert result["prefetches"] == result["sessions"] == 6
    assert result["hits"] + result["misses"] + result["errors"] == result["turns"] - result["sessions"]
    assert result["write_throughs"] == result["updates"]
    report = format_report(result)
    assert "hit rate" in report and "Stale reads: 0" in report and "3 users, 6 sessions" in report

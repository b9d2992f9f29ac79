"""`mnemo bench concurrency` runs end to end on tiny sizes and prints its figures (speed is not judged)."""

from rich.console import Console

from bench.concurrency import run_concurrency_bench


async def test_bench_concurrency_prints_every_figure(runtime):
    console = Console(record=True, width=200)
    levels, (http_ms, direct_ms) = await run_concurrency_bench(console, turns=2, levels=(1, 3),
                                                               resources=runtime.resources)
    out = console.export_text()
    assert [level.threads for level in levels] == [1, 3]
    assert all(level.mnemo_tps > 0 and level.stock_tps > 0 for level in levels)
    assert http_ms > 0 and direct_ms > 0
    assert "Mnemo / stock" in out and "HTTP POST /v1/chat p50" in out
    assert "Reproduce: mnemo bench concurrency --turns 2 --levels 1,3" in out

"""`mnemo bench growth` runs end to end on a short thread and prints its figures (speed is not judged)."""

from rich.console import Console

from bench.growth import message_index, run_growth_bench


async def test_bench_growth_prints_both_graphs(runtime):
    console = Console(record=True, width=200)
    figures = await run_growth_bench(console, turns=16, resources=runtime.resources)
    out = console.export_text()
    mnemo, stock = figures
    assert mnemo.early.turn == 10 and mnemo.late.turn == 16
    assert all(p.bytes_per_turn > 0 and len(p.ms) == 5 for g in figures for p in (g.early, g.late))
    assert mnemo.late.state_bytes > 0 and stock.late.state_bytes > 0
    assert "Stock LangGraph" in out and "Aim: Mnemo at turn 16" in out
    assert "Mnemo's nodes, p50 ms at turn 10 -> 16: load_memory" in out
    assert "Reproduce: mnemo bench growth --turns 16" in out


def test_both_points_send_the_same_messages():
    assert [message_index(i, 1000) for i in range(5, 10)] == [message_index(i, 1000) for i in range(995, 1000)]

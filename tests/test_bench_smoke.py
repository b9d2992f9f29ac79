"""`mnemo bench turn` runs end to end on tiny sizes and prints its figures. Speed is not checked here:
benchmarks compare against a baseline of the same run, which a test cannot judge."""

import re

import psycopg
from rich.console import Console

from bench.store_baseline import SCHEMA, store_url
from bench.turn import BASE_SENTENCES, RETRIEVAL_TENANT, base_seeds, bases_for, copy_value, run_turn_bench
from memory.db import tenant_connection


async def test_bench_turn_prints_every_figure(runtime):
    console = Console(record=True, width=200)
    await run_turn_bench(console, turns=6, memories=300, queries=10, resources=runtime.resources)
    out = console.export_text()
    assert "p50 ms" in out and "p95 ms" in out
    number = r"[\s│]+(\d+\.\d+)[\s│]+(-?\d+\.\d+)"
    for label in ("Full turn", "Baseline: 1-node graph", "Retrieval: hybrid_search (memories)",
                  "Baseline: plain pgvector k-NN", "Baseline: LangGraph AsyncPostgresStore.asearch", "node persist"):
        assert re.search(re.escape(label) + r"[^\n]*?" + number, out), label
    assert "Ratio full / baseline" in out and "Aim: retrieval p95" in out
    assert "Ratio hybrid (memories) / store" in out and "AsyncPostgresStore.asearch's" in out
    assert "300 memories" in out and "Reproduce: mnemo bench turn --turns 6 --memories 300 --queries 10" in out
    assert runtime.resources.settings.chat_model == "fake"


async def test_bench_memories_are_loaded_once(runtime):
    """A rerun reuses the rows: same count, nothing loaded twice (the unique index would refuse it)."""
    await run_turn_bench(Console(record=True, width=200), turns=1, memories=120, queries=1,
                         resources=runtime.resources)
    console = Console(record=True, width=200)
    await run_turn_bench(console, turns=1, memories=120, queries=1, resources=runtime.resources)
    assert "reused from an earlier run" in console.export_text()
    async with tenant_connection(runtime.resources.pool, RETRIEVAL_TENANT) as conn:
        row = await (await conn.execute(
            "SELECT count(*) AS n, count(DISTINCT (key, lower(value))) AS distinct_values FROM memories "
            "WHERE tenant_id = %s AND user_id = %s", (RETRIEVAL_TENANT, "n120"))).fetchone()
    assert row == {"n": 120, "distinct_values": 120}


def test_copies_of_a_base_memory_are_distinct():
    [seed] = base_seeds(1)
    values = {copy_value(seed, c).lower() for c in range(200)}
    assert len(values) == 200 and copy_value(seed, 0) == seed.value


def test_a_full_size_load_has_no_duplicate_key_value():
    """The unique index on (key, lower(value)) would abort the 100k-row COPY halfway."""
    seeds = base_seeds(bases_for(100_000))
    pairs = {(seeds[i % len(seeds)].key, copy_value(seeds[i % len(seeds)], i // len(seeds)).lower())
             for i in range(100_000)}
    assert len(seeds) == BASE_SENTENCES and len(pairs) == 100_000


async def test_the_store_baseline_holds_the_same_memories_and_finds_them(runtime):
    await run_turn_bench(Console(record=True, width=200), turns=1, memories=150, queries=2,
                         resources=runtime.resources)
    async with tenant_connection(runtime.resources.pool, RETRIEVAL_TENANT) as conn:
        ours = {str(r["id"]) for r in await (await conn.execute(
            "SELECT id FROM memories WHERE tenant_id = %s AND user_id = 'n150' AND valid_until IS NULL",
            (RETRIEVAL_TENANT,))).fetchall()}
    async with await psycopg.AsyncConnection.connect(store_url(runtime.resources.admin_url)) as conn:
        keys = {r[0] for r in await (await conn.execute(
            f"SELECT key FROM {SCHEMA}.store WHERE prefix = 'bench.n150'")).fetchall()}
        vectors = (await (await conn.execute(
            f"SELECT count(*) FROM {SCHEMA}.store_vectors WHERE prefix = 'bench.n150'")).fetchone())[0]
    assert keys == ours and vectors == len(ours) == 150

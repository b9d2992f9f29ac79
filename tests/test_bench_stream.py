"""`mnemo bench stream` runs end to end: a real `mnemo serve --local` subprocess over SSE, then raw llama-cpp-python
on the same prompts. Figures must be positive and the prompts the same; speed itself is not checked."""

import math

import pytest
from rich.console import Console

from bench.stream import run_stream_bench
from bench.threads import default_choice
from models.llama import default_model_path

pytestmark = pytest.mark.slow


def test_bench_stream_one_turn():
    console = Console(record=True, width=200)
    result = run_stream_bench(console, chat_model="local", model_path=default_model_path(), turns=1,
                              threads=default_choice()[0])
    assert result["prompts_match"], result["p50"]
    for run in ("mnemo_cache_on", "mnemo_cache_off", "raw_cache_on", "raw_cache_off"):
        [turn] = result["turns"][run]
        assert turn["ttft_s"] > 0 and turn["events"] > 0 and turn["input_tokens"] > 0, run
        assert turn["generation_tps"] is None or turn["generation_tps"] > 0, run
    assert result["generation_ratio"] > 0 and not math.isnan(result["generation_ratio"])
    out = console.export_text()
    assert "Generation Mnemo / raw (cache on)" in out and "Prompt tokens, Mnemo's usage vs raw: identical" in out

import asyncio
import time

import numpy as np
import pytest

from memory.embeddings import aembed, default_embedder


def test_unit_vectors_of_recorded_dimension():
    embedder = default_embedder()
    vectors = embedder.embed(["I love jazz", "", "x" * 5000])
    assert vectors.shape == (3, embedder.dim) == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)


def test_meaning_close_sentences_are_closer_across_languages():
    a, b, c = default_embedder().embed(["I love jazz music", "J'adore le jazz", "The invoice is overdue"])
    assert a @ b > a @ c + 0.3


def test_cached_result_equals_fresh_one():
    embedder = default_embedder()
    first = embedder.embed(["a sentence about cats"])[0]
    again = embedder.embed(["other", "a sentence about cats"])[1]
    assert np.array_equal(first, again)


class CountingEmbedder:
    """Records the texts of every model run."""

    name, dim = "counting", 3

    def __init__(self) -> None:
        self.runs: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.runs.append(list(texts))
        time.sleep(0.05)  # a model run long enough for the other calls to arrive meanwhile
        return np.array([[len(t), i, 1.0] for i, t in enumerate(texts)], dtype=np.float32)


async def test_concurrent_calls_share_model_runs_and_each_gets_its_own_rows():
    embedder = CountingEmbedder()
    calls = [[f"text {i}", "x" * i] for i in range(8)]
    first = asyncio.ensure_future(aembed(embedder, calls[0]))
    await asyncio.sleep(0.02)  # its run is under way
    results = [await first, *await asyncio.gather(*(aembed(embedder, texts) for texts in calls[1:]))]
    assert [len(run) for run in embedder.runs] == [2, 14]  # the first call alone, then the seven that waited
    assert sorted(t for run in embedder.runs for t in run) == sorted(t for texts in calls for t in texts)
    for texts, vectors in zip(calls, results, strict=True):
        assert [row[0] for row in vectors] == [len(t) for t in texts]


async def test_a_failed_run_fails_its_callers_and_the_next_call_runs_again():
    class Failing(CountingEmbedder):
        def embed(self, texts):
            super().embed(texts)
            if len(self.runs) == 1:
                raise RuntimeError("model crashed")
            return np.zeros((len(texts), 3), dtype=np.float32)

    embedder = Failing()
    with pytest.raises(RuntimeError, match="model crashed"):
        await aembed(embedder, ["one"])
    assert (await aembed(embedder, ["two"])).shape == (1, 3)

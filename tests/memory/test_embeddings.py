import numpy as np

from memory.embeddings import default_embedder


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

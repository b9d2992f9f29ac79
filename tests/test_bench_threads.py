"""`mnemo bench threads` runs end to end on the bundled model and names a best thread count with positive figures.
Speed itself is not checked: a test can't judge it."""

import re

import pytest
from typer.testing import CliRunner

from server.cli import app

pytestmark = pytest.mark.slow


def test_bench_threads_names_a_best_count():
    result = CliRunner().invoke(app, ["bench", "threads", "--max-threads", "1", "--tokens", "4", "--repeats", "1"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    row = re.search(r"│ 1\s+│ ([\d.]+)\s+│ 1\.00\s+│ ([\d.]+)\s+│ 1\.00", result.output)
    assert row and float(row[1]) > 0 and float(row[2]) > 0, result.output
    assert re.search(r"Best for generation: 1 thread \([\d.]+ tok/s\)", result.output)
    assert re.search(r"Best for prompt: 1 thread \([\d.]+ tok/s\)", result.output)
    assert re.search(r"Mnemo's default: \d+ threads? \((hardware\.cpu\.choose_threads|models\.llama\.default_threads)",
                     result.output)


def test_a_missing_model_file_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["bench", "threads", "--model", str(tmp_path / "absent.gguf")])
    assert result.exit_code == 1
    assert "no model file at" in result.output and "Traceback" not in result.output

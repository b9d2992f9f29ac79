"""Every shell example in README.md and docs/*.md either runs as written against a fresh server, or is
marked `<!-- illustrative: why -->` on the line before its opening fence or after its closing one (a
long-running server, a benchmark of minutes, placeholders for someone else's hosts and ids).

The examples run as a reader would paste them: bash with `set -euo pipefail`, `mnemo` on the PATH, `$KEY` a
fresh key of its own user, against `mnemo serve --local` on localhost:8000 (the port the docs use), and
`curl` failing on an HTTP error, so an example answering 404 where the docs promise 204 fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?:bash|sh|shell)\s*$")
MARK = re.compile(r"^<!--\s*illustrative:\s*(?P<why>\S.*?)\s*-->$")
PORT = 8000
TOOLS = ("curl", "jq")
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; }
"""

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Example:
    path: Path
    line: int
    code: str
    why_not_run: str | None

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def shell_examples() -> list[Example]:
    found = []
    for path in DOCS:
        lines = path.read_text().splitlines()
        i = 0
        while i < len(lines):
            if FENCE.match(lines[i]):
                end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
                before = MARK.match(lines[i - 1].strip()) if i else None
                after = MARK.match(lines[end + 1].strip()) if end + 1 < len(lines) else None
                if after and end + 2 < len(lines) and FENCE.match(lines[end + 2]):
                    after = None  # the next block's mark
                mark = before or after
                found.append(Example(path, i + 1, "\n".join(lines[i + 1:end]), mark["why"] if mark else None))
                i = end
            i += 1
    return found


EXAMPLES = shell_examples()
RUNNABLE = [e for e in EXAMPLES if e.why_not_run is None]


def test_the_examples_are_found_and_most_marks_say_why():
    assert len(EXAMPLES) >= 20 and RUNNABLE  # the parser sees the docs' blocks
    for example in EXAMPLES:
        if example.why_not_run is not None:
            assert len(example.why_not_run) > 10, f"{example.name}: say why it is not run"


@pytest.fixture(scope="module")
def docs_server(runtime):  # runtime: the embedded services are up, this process keeps them alive
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", PORT))
        except OSError:
            pytest.fail(f"port {PORT} is taken: the docs' examples talk to localhost:{PORT}")
    log = open(ROOT / ".pytest_docs_server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "mnemo"), "serve", "--local", "--port", str(PORT)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    if proc.poll() is not None or time.monotonic() >= deadline:
        proc.kill()
        log.close()
        pytest.fail("mnemo serve did not start:\n" + (ROOT / ".pytest_docs_server.log").read_text()[-3000:])
    yield
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _key() -> str:
    done = subprocess.run([str(BIN / "mnemo"), "keys", "create", "--tenant", "docs",
                           "--user", f"reader-{uuid.uuid4().hex[:8]}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.name for e in RUNNABLE])
def test_the_example_runs_as_written(example: Example, docs_server, tmp_path):
    for tool in TOOLS:  # .ci/run installs them; a reader's minimal machine may lack them
        if re.search(rf"\b{tool}\b", example.code) and shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {tool}); {example.name} uses it")
    env = {**os.environ, "KEY": _key(), "PATH": f"{BIN}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", PRELUDE + example.code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=180)
    output = f"--- stdout\n{done.stdout[-1500:]}\n--- stderr\n{done.stderr[-1500:]}"
    why = f"{example.name} failed:\n{example.code}\n{output}"
    assert done.returncode == 0, why

"""Embedded services are shared between processes that use the same MNEMO_HOME, and stop when the
last of them exits, even if another one was killed."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from psutil import pid_exists

pytestmark = pytest.mark.slow

ATTACH = textwrap.dedent("""
    import sys, time
    from memory.embedded import embedded_postgres_url, _handles
    url = embedded_postgres_url(__import__("pathlib").Path(sys.argv[1]))
    print(_handles["postgres"].get_pid(), flush=True)
    time.sleep(float(sys.argv[2]))
""")


def _attach(home, seconds):
    proc = subprocess.Popen([sys.executable, "-c", ATTACH, str(home), str(seconds)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "XDG_RUNTIME_DIR": ""})
    return proc, int(proc.stdout.readline())


def test_processes_share_one_server_which_stops_after_the_last(tmp_path):
    home = tmp_path / "home"
    killed, pid = _attach(home, 60)
    survivor, same_pid = _attach(home, 0.5)
    assert same_pid == pid
    killed.send_signal(signal.SIGKILL)  # never says goodbye
    killed.wait()
    assert survivor.wait(timeout=30) == 0
    deadline = time.monotonic() + 20
    while pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pid_exists(pid)

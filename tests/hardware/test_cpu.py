import pytest

from hardware import cpu
from hardware.cpu import choose_threads


def fake_cores(monkeypatch, physical: int | None, logical: int, usable: int) -> None:
    counts = {True: logical, False: physical}
    monkeypatch.setattr(cpu.psutil, "cpu_count", lambda logical=True: counts[logical])
    monkeypatch.setattr(cpu.os, "sched_getaffinity", lambda pid: set(range(usable)), raising=False)


def test_override_wins_whatever_the_cores(monkeypatch):
    fake_cores(monkeypatch, 2, 2, 2)
    assert choose_threads(12) == cpu.ThreadChoice(12, "12 set explicitly")


@pytest.mark.parametrize("bad", [0, -3])
def test_invalid_override_says_what_to_fix(bad):
    with pytest.raises(ValueError, match=f"at least 1, got {bad}.*MNEMO_MODEL_THREADS"):
        choose_threads(bad)


@pytest.mark.parametrize(("physical", "logical", "usable", "threads", "reason"), [
    (1, 1, 1, 1, "1 physical core, no headroom below 4 cores, cap 8"),
    (2, 2, 2, 2, "2 physical cores, no headroom below 4 cores, cap 8"),
    (2, 4, 4, 2, "2 physical cores, no headroom"),  # hyper-threads don't count
    (4, 8, 8, 3, "4 physical cores, 1 left for the API server, cap 8"),
    (6, 6, 6, 5, "6 physical cores, 1 left for the API server, cap 8"),
    (9, 9, 9, 8, "9 physical cores, 1 left for the API server, cap 8"),
    (16, 32, 32, 8, "16 physical cores, 1 left for the API server, capped at 8"),
    (16, 32, 8, 3, "4 physical cores, 1 left"),  # affinity: 8 of 32 logical cores -> 4 physical
    (None, 3, 3, 3, "3 physical cores"),  # psutil can't tell physical cores: logical ones stand in
])
def test_physical_usable_cores_with_headroom_and_cap(monkeypatch, physical, logical, usable, threads, reason):
    fake_cores(monkeypatch, physical, logical, usable)
    choice = choose_threads()
    assert choice.threads == threads
    assert choice.reason.startswith(reason)


def test_this_machine():
    info = cpu.cpu_info()
    assert 1 <= info.usable <= info.logical and 1 <= info.physical <= info.logical
    assert 1 <= choose_threads().threads <= min(info.usable_physical, cpu.THREAD_CAP)

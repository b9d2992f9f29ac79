"""Benchmarks: scripts that print figures next to a baseline measured in the same run.

They are run by hand (`mnemo bench ...`), never as timed tests: on a shared or noisy machine only the
ratio to the same-run baseline means something, so the test suite checks that they run, not how fast.
"""

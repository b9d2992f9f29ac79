"""deploy/grafana/mnemo-dashboard.json: every panel's query names series the app really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import core.metrics  # noqa: F401 - registers every series Mnemo exports

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "mnemo-dashboard.json"
SERIES = re.compile(r"\b((?:mnemo|memory)_[a-z0-9_]+)\b")


def _exported() -> set[str]:
    """Sample names of the registry's families: a counter's `_total`, a histogram's `_bucket`, `_sum`, `_count`."""
    names = set()
    for family in REGISTRY.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
    return names


def test_every_panel_queries_series_the_app_exports():
    dashboard = json.loads(DASHBOARD.read_text())
    exported = _exported()
    assert dashboard["uid"] and dashboard["panels"]
    seen = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            named = set(SERIES.findall(target["expr"]))
            assert named, f"panel {panel['title']!r}: its query names no Mnemo series"
            assert named <= exported, f"panel {panel['title']!r}: {sorted(named - exported)} are not exported"
            seen |= named
    # what issue 15 asks the dashboard to show: node latency, extraction, cache, hints, tokens and cost
    for series in ("mnemo_turn_node_duration_seconds_bucket", "memory_preferences_extracted_total",
                   "memory_preference_cache_total", "memory_proactive_hints_feedback_total",
                   "mnemo_model_tokens_total", "mnemo_model_cost_usd_total"):
        assert series in seen, f"no panel shows {series}"

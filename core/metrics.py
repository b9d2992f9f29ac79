"""Prometheus metrics, defined once so every layer counts into the same series."""

from prometheus_client import Counter, Histogram

PREFERENCE_CACHE = Counter(
    "memory_preference_cache_total", "Preference cache lookups by outcome", ["outcome"]
)  # outcome: hit | miss | error
PREFERENCE_CACHE_LOADS = Counter(
    "memory_preference_cache_loads_total", "Preference cache entries loaded from PostgreSQL by reason", ["reason"]
)  # reason: prefetch (first turn of a session) | miss | write_through
CACHE_ERRORS = Counter("mnemo_cache_errors_total", "Redis operations that failed and were degraded")
NODE_SECONDS = Histogram(
    "mnemo_turn_node_duration_seconds", "Time spent in each turn-graph node", ["node"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MEMORY_QUERY_SECONDS = Histogram(
    "memory_query_duration_seconds", "Hybrid retrieval query time",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
HINTS = Counter("memory_proactive_hints_generated_total", "Hints emitted", ["type"])
HINT_FEEDBACK = Counter("memory_proactive_hints_feedback_total", "Hint feedback received", ["action"])
EXTRACTED = Counter("memory_preferences_extracted_total", "Memories extracted", ["type"])
MODEL_TOKENS = Counter("mnemo_model_tokens_total", "Model tokens", ["model", "direction"])

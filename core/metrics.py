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
MODEL_COST = Counter("mnemo_model_cost_usd_total", "Model cost in US dollars, counted with the usage row", ["model"])

# HTTP edge. `route` is the route template (/v1/threads/{thread_id}), never the raw path, so the
# number of series stays bounded; requests no route matched count as "unmatched".
HTTP_REQUESTS = Counter("mnemo_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
HTTP_ERRORS = Counter("mnemo_http_errors_total", "HTTP answers with status >= 400", ["route", "method", "status"])
HTTP_SECONDS = Histogram(
    "mnemo_http_request_duration_seconds", "Time to answer an HTTP request (a stream: until it ends)", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RATE_LIMITED = Counter("mnemo_rate_limited_total", "Requests refused with 429 by the per-key rate limit")
RATE_LIMIT_UNAVAILABLE = Counter(
    "mnemo_rate_limit_unavailable_total", "Requests let through unchecked because Redis did not answer (fail open)"
)

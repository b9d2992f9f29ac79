"""Prometheus metrics, defined once so every layer counts into the same series."""

from prometheus_client import Counter, Gauge, Histogram

PREFERENCE_CACHE = Counter(
    "memory_preference_cache_total", "Preference cache lookups by outcome", ["outcome"]
)  # outcome: hit | miss | error
PREFERENCE_CACHE_LOADS = Counter(
    "memory_preference_cache_loads_total", "Preference cache entries loaded from PostgreSQL by reason", ["reason"]
)  # reason: prefetch (first turn of a session) | miss | write_through
CACHE_ERRORS = Counter("mnemo_cache_errors_total", "Redis operations that failed and were degraded")
CHECKPOINT_FAILURES = Counter(
    "mnemo_checkpoint_failures_total", "Turns stored whose checkpoint write then failed (restored by the next turn)"
)
TURN_CONFLICTS = Counter(
    "mnemo_turn_conflicts_total", "Turns refused at commit: another turn on the thread committed while they ran"
)
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

# Models: fallbacks, usage the provider did not send, calls without a price.
MODEL_FALLBACKS = Counter(
    "mnemo_model_fallbacks_total", "Chat model calls that failed and fell to the next model of the chain",
    ["model", "reason"],
)  # reason: timeout | rate_limited | server_error | auth | client_error | connection | error
MODEL_USAGE_FILLED = Counter(
    "mnemo_model_usage_filled_total", "Calls whose provider sent no token usage, by how it was filled",
    ["model", "source"],
)  # source: tokenizer | estimate
MODEL_COST_UNKNOWN = Counter(
    "mnemo_model_cost_unknown_total", "Calls to a hosted model with no price in the pricing table", ["model"]
)

# Memory of this process and of the GPUs (hardware/watch.py). The process gauges read psutil at scrape time.
PROCESS_MEMORY = Gauge("mnemo_process_memory_bytes", "Resident memory (RSS) of this process")
PROCESS_MEMORY_SHARE = Gauge("mnemo_process_memory_share", "Resident memory of this process / the machine's RAM")
PROCESS_MEMORY_HIGH = Counter(
    "mnemo_process_memory_high_total", "Memory samples where this process held more than MNEMO_MEMORY_WARN_SHARE"
)
GPU_MEMORY_USED = Gauge("mnemo_gpu_memory_used_ratio", "Used / total memory of each NVIDIA GPU", ["gpu"])
GPU_MEMORY_HIGH = Counter("mnemo_gpu_memory_high_total", "Memory samples where a GPU was more than 90% full", ["gpu"])

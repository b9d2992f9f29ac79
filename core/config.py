"""One typed settings object, read from the environment (prefix MNEMO_, plus DATABASE_URL/REDIS_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AgentModel(BaseModel):
    """One agent's model settings (MNEMO_AGENTS); None: the global default."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)


class Settings(BaseSettings):
    """Everything Mnemo can be told from outside. Unset services mean embedded ones in `home`."""

    model_config = SettingsConfigDict(env_prefix="MNEMO_", env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "MNEMO_DATABASE_URL")
    )
    admin_database_url: str | None = Field(
        default=None, description="Owner's URL for migrations and schema setup when DATABASE_URL is the restricted "
        "application login (see docs/security.md); unset: DATABASE_URL does both.",
    )
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "MNEMO_REDIS_URL"))
    home: Path = Field(default=Path("~/.mnemo"), description="Data folder for embedded services.")

    chat_model: str = Field(
        default="local", description="local | local:<path.gguf> | fake | openai:<m> | gemini:<m>; a comma-separated "
        "list is a fallback chain, first choice first (openai:gpt-4o-mini,gemini:gemini-2.5-flash,local).",
    )
    agents: dict[str, AgentModel] = Field(
        default_factory=dict, description='Per-agent model settings, JSON: {"coder": {"model": "openai:gpt-4.1-mini", '
        '"temperature": 0.2, "max_tokens": 800}}; unset fields take the defaults.',
    )
    model_timeout_seconds: float = Field(default=60, gt=0, description="Longest wait for one hosted-model request.")
    model_max_retries: int = Field(
        default=2, ge=0, description="Retries of a hosted-model request on 429, 5xx, timeouts, with backoff.",
    )
    model_threads: int | None = Field(default=None, description="llama.cpp CPU threads; default from cores.")
    model_profile: Literal["auto", "cpu", "low-memory", "balanced", "performance"] = Field(
        default="auto", description="Local models: GPU offload and batch profile; auto chooses from the GPU memory "
        "free at load (docs/configuration.md).",
    )
    model_gpu_layers: int | None = Field(
        default=None, ge=-1, description="Local models: layers on the GPU (-1: all, 0: none); unset: the profile's.",
    )
    model_batch: int | None = Field(default=None, ge=1, description="Local models: llama.cpp n_batch; unset: the "
                                    "profile's.")
    memory_warn_share: float = Field(
        default=0.8, gt=0, lt=1, description="Warn (log + mnemo_process_memory_high_total) when this process holds "
        "more than this share of the machine's RAM.",
    )
    model_ctx: int = 2048
    model_prefix_cache: bool = Field(
        default=True, description="Local models: evaluate only what follows the prompt prefix shared with the "
        "previous call; false re-evaluates every prompt in full.",
    )
    max_output_tokens: int = 160

    local_mode: bool = Field(default=False, description="Serve one local user without an API key.")
    local_tenant: str = "default"
    local_user: str = "local"
    max_request_bytes: int = Field(default=5_000_000, description="Larger request bodies get 413.")
    rate_limit: str = Field(
        default="600/minute", description="Requests per API key, shared by all API processes (Redis): "
        "'120/minute', '10/second', '500/5m'; '0' or '' turns it off. Over it: 429 with Retry-After.",
    )
    cors_origins: str = Field(
        default="", description="Comma-separated origins allowed by CORS ('*' for any); empty: no CORS headers."
    )
    log_format: Literal["json", "text"] | None = Field(
        default=None, description="Log lines as JSON or text; unset: json for serve/worker, text for the CLI."
    )
    max_message_chars: int = Field(default=8000, description="Longer chat messages are refused with 413.")
    max_import_messages: int = 2000
    history_token_budget: int = 1200
    thread_window_messages: int = Field(
        default=20, ge=2, le=10_000, description="A thread's newest messages that a turn reads back from the "
        "messages table (its history, trimmed to history_token_budget) and that its LangGraph checkpoint keeps; "
        "older user messages are kept as the thread's running summary, the messages table keeps them all.",
    )
    retrieve_k: int = 6
    retrieve_min_score: float = Field(default=0.25, description="Cosine floor for the vector side of search.")
    prefs_ttl_seconds: int = 3600
    extraction: Literal["inline", "background"] = Field(
        default="inline", description="Where the model extraction pass runs: in the turn, or in `mnemo worker`."
    )
    extraction_model: str | None = Field(
        default=None, description="Model for the extraction pass (openai:<m> | gemini:<m> | fake); unset: rules only."
    )
    extraction_learned: bool = Field(
        default=True, description="Run the learned clause classifier after the rules (memory/learned); "
        "false: rules only.")
    pool_max_size: int = 10
    pool_timeout_seconds: float = Field(
        default=2, gt=0, description="Longest wait for a PostgreSQL connection; past it (PostgreSQL down or every "
        "connection busy) the request gets 503 with Retry-After.",
    )
    turn_timeout_seconds: float = Field(
        default=120, gt=0, description="Longest a turn may run before it is cancelled (nothing of it stored).",
    )
    turn_lock_ttl_seconds: float = Field(
        default=6, gt=0, description="TTL of a thread's turn lock in Redis, renewed while the turn runs; "
        "a crashed process's lock frees itself after it.",
    )
    turn_wait_seconds: float = Field(
        default=0, ge=0, description="How long a turn waits for another one on the same thread before 409.",
    )
    shutdown_grace_seconds: float = Field(
        default=30, ge=0, description="On shutdown, how long running turns get to finish before they are cancelled.",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=7 * 24 * 60, description="A user's session ends after this many minutes without a "
        "turn; a worker then consolidates what the session said.",
    )

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

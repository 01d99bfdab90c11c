from pathlib import Path

import pytest

from reservoir.config import ConfigError, load_settings


def test_embedded_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.data_dir == Path(".reservoir")
    assert settings.sqlalchemy_url.startswith("sqlite:///")
    assert settings.sqlalchemy_url.endswith(".reservoir/reservoir.db")
    assert settings.qdrant_url is None and settings.redis_url is None
    assert settings.checkpoint_backend == "sqlite"
    assert settings.llm_provider == "none"


def test_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESERVOIR_DATABASE_URL", "postgresql://u@h:5432/db")
    monkeypatch.setenv("RESERVOIR_FETCH_ALLOW", "127.0.0.0/8, localhost")
    monkeypatch.setenv("RESERVOIR_AGENT_MODELS", '{"analyst": "gpt-4o"}')
    monkeypatch.setenv("RESERVOIR_LLM_PROVIDER", "openai")
    settings = load_settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@h:5432/db"
    assert settings.checkpoint_backend == "postgres"
    assert settings.fetch_allow == ["127.0.0.0/8", "localhost"]
    assert settings.model_for("analyst") == "gpt-4o"
    assert settings.model_for("scout") == settings.llm_model


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RESERVOIR_MAX_STEPS", "many"),
        ("RESERVOIR_LLM_PROVIDER", "skynet"),
        ("RESERVOIR_DATABASE_URL", "mysql://x"),
        ("RESERVOIR_REDIS_URL", "http://x"),
        ("RESERVOIR_FETCH_ALLOW", "10.0.0.0/33"),
        ("RESERVOIR_AGENT_MODELS", '{"janitor": "x"}'),
        ("RESERVOIR_MERGE_THRESHOLD", "1.5"),
        ("RESERVOIR_DIGEST_SMTP_URL", "mailto:me@example.com"),
        ("RESERVOIR_DIGEST_WEBHOOK_URL", "ftp://hooks.example.com/x"),
        ("RESERVOIR_PUBLIC_URL", "reservoir.example.com"),
    ],
)
def test_invalid_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()


def test_local_provider_needs_a_model_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESERVOIR_LLM_PROVIDER", "local")
    with pytest.raises(ConfigError, match="RESERVOIR_LLM_LOCAL_PATH"):
        load_settings()


def test_email_digest_needs_sender_and_recipients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESERVOIR_DIGEST_SMTP_URL", "smtp://mail.example.com:25")
    with pytest.raises(ConfigError, match="RESERVOIR_DIGEST_FROM and RESERVOIR_DIGEST_TO"):
        load_settings()
    monkeypatch.setenv("RESERVOIR_DIGEST_FROM", "reservoir@example.com")
    monkeypatch.setenv("RESERVOIR_DIGEST_TO", "a@example.com, b@example.com")
    assert load_settings().digest_to == ["a@example.com", "b@example.com"]


def test_doctor_names_digest_channels_without_their_secrets() -> None:
    from reservoir.doctor import _digest_channels

    settings = load_settings(
        digest_smtp_url="smtp+starttls://me:hunter2@mail.example.com:587", digest_from="a@x.org",
        digest_to="b@x.org", digest_webhook_url="https://hooks.example.com/services/T1/B2/sekrit")
    described = _digest_channels(settings)
    assert described == "email via mail.example.com to 1 recipient(s); webhook at hooks.example.com"
    assert _digest_channels(load_settings()) == "none configured"

"""Settings: environment over secrets.toml over the default, secrets read once, bad values refused in one sentence."""

from pathlib import Path

import pytest

from modules import settings
from modules.core.errors import SettingsError, TrainingError


@pytest.fixture
def secrets(tmp_path, monkeypatch):
    """A secrets.toml of the test's own; the settings caches are cleared before and after."""
    path = tmp_path / "secrets.toml"
    monkeypatch.setattr(settings, "SECRETS_FILE", path)
    for name in settings.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    settings.reload()
    yield path
    settings.reload()


def test_the_default_applies_when_nothing_is_set(secrets):
    assert settings.get("TRAINING_CLINIC_NAME") == "Our Clinic"
    assert settings.current().timezone == "UTC"
    assert settings.current().banks_dir == settings.PROJECT_ROOT / "question_banks"


def test_secrets_override_the_default_and_the_environment_overrides_both(secrets, monkeypatch):
    secrets.write_text('TRAINING_CLINIC_NAME = "Secret Clinic"\nTRAINING_TIMEZONE = "Europe/London"\n', "utf-8")
    assert settings.get("TRAINING_CLINIC_NAME") == "Secret Clinic"
    monkeypatch.setenv("TRAINING_CLINIC_NAME", "Env Clinic")
    assert settings.get("TRAINING_CLINIC_NAME") == "Env Clinic"
    assert settings.current().zone.key == "Europe/London"
    monkeypatch.setenv("TRAINING_CLINIC_NAME", "   ")  # blank counts as not set
    assert settings.get("TRAINING_CLINIC_NAME") == "Secret Clinic"


def test_secrets_are_read_once_until_reload(secrets, monkeypatch):
    secrets.write_text('TRAINING_CLINIC_NAME = "First"\n', "utf-8")
    reads = []
    real_read = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self) or real_read(self, *a, **k))
    assert [settings.get("TRAINING_CLINIC_NAME") for _ in range(5)] == ["First"] * 5
    monkeypatch.setenv("TRAINING_BASE_URL", "https://training.example")  # a new environment rebuilds, no re-read
    assert settings.get("TRAINING_BASE_URL") == "https://training.example"
    secrets.write_text('TRAINING_CLINIC_NAME = "Second"\n', "utf-8")
    assert settings.get("TRAINING_CLINIC_NAME") == "First"
    assert reads == [secrets]
    settings.reload()
    assert settings.get("TRAINING_CLINIC_NAME") == "Second"


def test_other_secrets_in_the_file_are_left_to_streamlit(secrets):
    secrets.write_text('api_token = "x"\n[connections.db]\nurl = "y"\n', "utf-8")
    assert settings.get("TRAINING_CLINIC_NAME") == "Our Clinic"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../etc/passwd", "utc+2"])
def test_a_time_zone_that_is_not_iana_is_refused_in_one_sentence(secrets, monkeypatch, zone):
    monkeypatch.setenv("TRAINING_TIMEZONE", zone)
    with pytest.raises(SettingsError) as caught:
        settings.get("TRAINING_CLINIC_NAME")
    message = str(caught.value)
    assert message.startswith(f"TRAINING_TIMEZONE '{zone}' is not an IANA time zone name")
    assert message.endswith("such as Europe/London or UTC.") and "\n" not in message
    assert isinstance(caught.value, TrainingError)


@pytest.mark.parametrize("url, expected", [
    ("mysql://user:secret@db/training", "TRAINING_DB_URL uses the database 'mysql', but only sqlite and postgresql"),
    ("not a url at all", "TRAINING_DB_URL is not a database URL"),
    ("postgresql+psycopg://user:secret@db:port/training", "TRAINING_DB_URL is not a database URL"),
])
def test_a_bad_database_url_is_refused_without_echoing_it(secrets, monkeypatch, url, expected):
    monkeypatch.setenv("TRAINING_DB_URL", url)
    with pytest.raises(SettingsError, match=expected) as caught:
        settings.current()
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("url", ["sqlite:///progress/x.db", "postgresql+psycopg://u:p@db.example:5432/training"])
def test_sqlite_and_postgresql_urls_are_accepted(secrets, monkeypatch, url):
    monkeypatch.setenv("TRAINING_DB_URL", url)
    assert settings.get("TRAINING_DB_URL") == url


def test_a_bad_value_in_secrets_is_refused_too(secrets):
    secrets.write_text('TRAINING_TIMEZONE = "Nowhere/Town"\n', "utf-8")
    with pytest.raises(SettingsError, match="Nowhere/Town"):
        settings.current()


def test_an_unreadable_secrets_file_is_a_plain_error(secrets):
    secrets.write_text("TRAINING_TIMEZONE = \n", "utf-8")
    with pytest.raises(SettingsError, match="secrets.toml cannot be read"):
        settings.current()


def test_every_setting_is_declared_once_with_a_default_and_help():
    assert list(settings.SETTINGS) == ["TRAINING_DB_URL", "TRAINING_BANKS_DIR", "TRAINING_CLINIC_NAME",
                                       "TRAINING_BASE_URL", "TRAINING_TIMEZONE", "TRAINING_AUDIT_KEY_FILE",
                                       "TRAINING_SESSION_IDLE_MINUTES", "TRAINING_SESSION_HOURS",
                                       "TRAINING_SMTP_HOST", "TRAINING_SMTP_PORT", "TRAINING_SMTP_USER",
                                       "TRAINING_SMTP_PASSWORD", "TRAINING_SMTP_PASSWORD_FILE", "TRAINING_SMTP_FROM",
                                       "TRAINING_SMTP_MANAGER_TO", "TRAINING_CREDENTIAL_KEY_FILE",
                                       "TRAINING_LRS_ENDPOINT", "TRAINING_LRS_USER", "TRAINING_LRS_PASSWORD"]
    for setting in settings.SETTINGS.values():
        # Mail and the learning record store are off until configured: their settings are blank by default.
        off_until_set = setting.name.startswith(("TRAINING_SMTP_", "TRAINING_LRS_"))
        assert setting.help and (setting.default or off_until_set), setting.name
    with pytest.raises(KeyError):
        settings.get("TRAINING_UNDECLARED")

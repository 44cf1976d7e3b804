"""Every setting declared once, with its default and help text, in one typed and validated `Settings` object.

A setting is read from the environment first, then from `.streamlit/secrets.toml`, then its default. The secrets
file is read once (`reload()` forgets it); the environment is looked at on each call, which costs a few dict
lookups, so a changed variable is seen at once and the object is only rebuilt when one changes. A value the app
cannot use (an unknown time zone, a database URL that is not sqlite or postgresql) raises `SettingsError` with one
plain sentence. The README lists every setting; a test fails when one is missing there.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_core import PydanticCustomError

from modules.core import timezones
from modules.core.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DATABASES = ("sqlite", "postgresql")
# dialect[+driver]://... as SQLAlchemy spells it; parsed here because only the store may import SQLAlchemy.
DATABASE_URL = re.compile(r"^(?P<dialect>[A-Za-z0-9]+)(\+[A-Za-z0-9_]+)?://")


def _dialect(url: str) -> str | None:
    """The dialect of a database URL (sqlite, postgresql, ...), or None when it cannot be read as one."""
    match = DATABASE_URL.match(url)
    if match is None:
        return None
    try:
        urlsplit(url).port  # noqa: B018 - reading the port raises ValueError when it is not a number
    except ValueError:
        return None
    return match["dialect"]


def _database_url(url: str) -> str:
    backend = _dialect(url)
    if backend is None:
        # The URL is not echoed: it may hold a password.
        raise PydanticCustomError(
            "setting", "TRAINING_DB_URL is not a database URL; use one such as sqlite:///progress/training.db or "
                       "postgresql+psycopg://user:password@host/db.")
    if backend not in DATABASES:
        raise PydanticCustomError(
            "setting", "TRAINING_DB_URL uses the database '{backend}', but only sqlite and postgresql are supported.",
            {"backend": backend})
    return url


def _time_zone(name: str) -> str:
    try:
        timezones.zone(name)
    except ValueError:
        raise PydanticCustomError(
            "setting", "TRAINING_TIMEZONE '{name}' is not an IANA time zone name; use one such as Europe/London "
                       "or UTC.", {"name": name}) from None
    return name


def _email_address(setting: str) -> Any:
    """A validator for an optional e-mail address setting: blank, or something@somewhere."""

    def check(address: str) -> str:
        address = address.strip()
        if address and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", address):
            raise PydanticCustomError(
                "setting", "{setting} must be an e-mail address such as training@clinic.example.",
                {"setting": setting})
        return address

    return AfterValidator(check)


class Settings(BaseModel):
    """The app's settings; field names are what code reads, aliases are the names people set."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    db_url: Annotated[str, AfterValidator(_database_url)] = Field(
        f"sqlite:///{PROJECT_ROOT / 'progress' / 'training.db'}", validation_alias="TRAINING_DB_URL",
        description="SQLAlchemy URL of the record store; e.g. postgresql+psycopg://user:pw@host/db for a chain of "
                    "clinics.")
    banks_dir: Path = Field(
        PROJECT_ROOT / "question_banks", validation_alias="TRAINING_BANKS_DIR",
        description="Folder holding the module YAML files and certification.yaml.")
    clinic_name: str = Field(
        "Our Clinic", validation_alias="TRAINING_CLINIC_NAME", description="Clinic name printed on certificates.")
    base_url: str = Field(
        "http://127.0.0.1:8501", validation_alias="TRAINING_BASE_URL",
        description="Public address of this app; certificate QR codes point to its verify page.")
    timezone: Annotated[str, AfterValidator(_time_zone)] = Field(
        "UTC", validation_alias="TRAINING_TIMEZONE",
        description="The clinic's time zone (IANA name) used to show dates and times.")
    audit_key_file: Path = Field(
        PROJECT_ROOT / "progress" / "audit.key", validation_alias="TRAINING_AUDIT_KEY_FILE",
        description="File holding the secret that keys the audit chain, kept outside the database (made on first "
                    "start; every instance of a chain of clinics needs the same file; back it up separately).")

    session_idle_minutes: int = Field(
        30, ge=1, le=24 * 60, validation_alias="TRAINING_SESSION_IDLE_MINUTES",
        description="A signed-in session ends after this many minutes without activity.")
    session_hours: int = Field(
        12, ge=1, le=7 * 24, validation_alias="TRAINING_SESSION_HOURS",
        description="A signed-in session ends this many hours after sign-in, however active.")

    # E-mail for expiry reminders (`python -m modules send-reminders`): off while the host is blank.
    smtp_host: str = Field(
        "", validation_alias="TRAINING_SMTP_HOST",
        description="Mail server for expiry reminders; blank (the default) sends no e-mail.")
    smtp_port: int = Field(
        587, ge=1, le=65535, validation_alias="TRAINING_SMTP_PORT",
        description="The mail server's port: 465 is TLS from the start, any other port must offer STARTTLS.")
    smtp_user: str = Field(
        "", validation_alias="TRAINING_SMTP_USER",
        description="User name for the mail server; blank when it needs no sign-in.")
    smtp_password: SecretStr = Field(
        SecretStr(""), validation_alias="TRAINING_SMTP_PASSWORD",
        description="The mail server password (or use TRAINING_SMTP_PASSWORD_FILE); never printed.")
    smtp_password_file: str = Field(
        "", validation_alias="TRAINING_SMTP_PASSWORD_FILE",
        description="A file holding the mail server password, read when TRAINING_SMTP_PASSWORD is blank.")
    smtp_from: Annotated[str, _email_address("TRAINING_SMTP_FROM")] = Field(
        "", validation_alias="TRAINING_SMTP_FROM", description="The address reminders are sent from.")
    smtp_manager_to: Annotated[str, _email_address("TRAINING_SMTP_MANAGER_TO")] = Field(
        "", validation_alias="TRAINING_SMTP_MANAGER_TO",
        description="The manager's address, which receives the digest of certificates expiring soon.")

    # Open Badges 3.0 credentials (modules/credentials.py): the clinic's signing key, kept outside the database.
    credential_key_file: Path = Field(
        PROJECT_ROOT / "progress" / "credential-key.pem", validation_alias="TRAINING_CREDENTIAL_KEY_FILE",
        description="File holding the Ed25519 key that signs each certificate's digital credential (made on first "
                    "use; every instance of a chain of clinics needs the same file; back it up separately).")

    # A learning record store for xAPI statements (`python -m modules export-xapi --post`): off while blank.
    lrs_endpoint: str = Field(
        "", validation_alias="TRAINING_LRS_ENDPOINT",
        description="The learning record store's xAPI endpoint (…/xAPI/); blank (the default) sends nothing.")
    lrs_user: str = Field(
        "", validation_alias="TRAINING_LRS_USER", description="The LRS's key or user name for HTTP Basic auth.")
    lrs_password: SecretStr = Field(
        SecretStr(""), validation_alias="TRAINING_LRS_PASSWORD",
        description="The LRS's secret for HTTP Basic auth; never printed.")

    @property
    def zone(self) -> ZoneInfo:
        return timezones.zone(self.timezone)


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


def _declared() -> dict[str, tuple[str, Setting]]:
    """Setting name -> (field name, declaration), read from the Settings fields."""
    declared: dict[str, tuple[str, Setting]] = {}
    for field, info in Settings.model_fields.items():
        name = str(info.validation_alias)
        declared[name] = (field, Setting(name, str(info.default), info.description or ""))
    return declared


_DECLARED = _declared()
SETTINGS: dict[str, Setting] = {name: setting for name, (_, setting) in _DECLARED.items()}


@functools.cache
def _secrets(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path.name} cannot be read ({error}); fix it or remove it.") from None
    # Only our settings, and only those with a value; Streamlit keeps its own secrets in the same file.
    return {name: str(value) for name, value in table.items() if name in SETTINGS and str(value).strip()}


@functools.lru_cache(maxsize=16)
def _build(environment: tuple[tuple[str, str], ...], secrets_path: Path) -> Settings:
    values: dict[str, Any] = {**_secrets(secrets_path), **dict(environment)}
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        raise SettingsError(" ".join(_sentence(detail["type"], detail["msg"], detail["loc"])
                                     for detail in error.errors(include_url=False))) from None


def _sentence(kind: str, message: str, loc: tuple[int | str, ...]) -> str:
    # Our validators write whole sentences; anything else (not expected from text values) gets a plain one.
    return message if kind == "setting" else f"{loc[0] if loc else 'A setting'} has a value the app cannot use."


def current() -> Settings:
    """The settings in force: environment, then secrets.toml (read once), then the defaults."""
    environment = tuple((name, os.environ[name]) for name in SETTINGS if os.environ.get(name, "").strip())
    return _build(environment, SECRETS_FILE)


def reload() -> None:
    """Forget the secrets file and the built settings, so the next read starts afresh (tests, edited secrets)."""
    _secrets.cache_clear()
    _build.cache_clear()


def audit_key() -> bytes:
    """The audit chain's secret key from its file, made (32 random bytes, owner-only) the first time it is needed."""
    path = current().audit_key_file
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(secrets.token_hex(32) + "\n")
        key = path.read_text(encoding="ascii").strip()
        return bytes.fromhex(key)
    except FileExistsError:  # another instance made it a moment ago
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise SettingsError(f"The audit key file {path} cannot be read or made ({error}).") from None


def get(name: str) -> str:
    """The value of a declared setting, as text: environment, then secrets.toml, then the default."""
    field, _ = _DECLARED[name]
    return str(getattr(current(), field))

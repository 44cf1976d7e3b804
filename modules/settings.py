"""Every setting declared once, with its default and help text.

A setting is read from the environment first, then from `.streamlit/secrets.toml`, then its default.
The README lists every setting; a test fails when one is missing there.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "TRAINING_DB_URL",
            f"sqlite:///{PROJECT_ROOT / 'progress' / 'training.db'}",
            "SQLAlchemy URL of the record store; e.g. postgresql+psycopg://user:pw@host/db for a chain of clinics.",
        ),
        Setting(
            "TRAINING_BANKS_DIR",
            str(PROJECT_ROOT / "question_banks"),
            "Folder holding the module YAML files and certification.yaml.",
        ),
        Setting("TRAINING_CLINIC_NAME", "Our Clinic", "Clinic name printed on certificates."),
        Setting(
            "TRAINING_BASE_URL",
            "http://127.0.0.1:8501",
            "Public address of this app; certificate QR codes point to its verify page.",
        ),
        Setting("TRAINING_TIMEZONE", "UTC", "The clinic's time zone (IANA name) used to show dates and times."),
    )
}


def _secrets_file() -> Path:
    return PROJECT_ROOT / ".streamlit" / "secrets.toml"


def get(name: str) -> str:
    """The value of a declared setting: environment, then secrets.toml, then the default."""
    setting = SETTINGS[name]
    if name in os.environ and os.environ[name].strip():
        return os.environ[name]
    secrets = _secrets_file()
    if secrets.exists():
        try:
            value = tomllib.loads(secrets.read_text(encoding="utf-8")).get(name)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            value = None
        if value:
            return str(value)
    return setting.default

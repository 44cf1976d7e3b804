"""Open Badges 3.0 credentials for certificates (issue #17)."""

from __future__ import annotations

from modules.cli import Command

COMMANDS: list[Command] = []

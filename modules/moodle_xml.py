"""Moodle XML export (issue #17)."""

from __future__ import annotations

from modules.cli import Command

COMMANDS: list[Command] = []

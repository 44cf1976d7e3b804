"""The commands behind `python -m modules`; each prints plain messages and returns an exit code."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from modules import settings
from modules.banks import load_banks, summary
from modules.errors import TrainingError


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _check_banks_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default=None,
                        help="folder of bank files (default: the TRAINING_BANKS_DIR setting)")


def check_banks(args: argparse.Namespace) -> int:
    from modules.policy import load_policy

    directory = Path(args.directory or settings.get("TRAINING_BANKS_DIR"))
    banks = load_banks(directory)
    _, policy_problems = load_policy(directory, banks)
    problems = banks.problems + policy_problems
    for problem in problems:
        print(f"{directory / problem.file if problem.file != str(directory) else problem.file}:"
              f"{problem.line}: {problem.message}")
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(summary(banks))
    return 0


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn a TrainingError into one plain line and exit code 1, never a traceback."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except TrainingError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return wrapper


COMMANDS: list[Command] = [
    Command("check-banks", "Validate every question bank and the certification policy.", _check_banks_args,
            guarded(check_banks)),
]

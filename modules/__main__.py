"""One command-line entry point for everything that is not the web app: `python -m modules <command>`."""

from __future__ import annotations

import argparse
import sys

from modules import cli, credentials, gift, moodle_xml, xapi


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m modules", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in [*cli.COMMANDS, *gift.COMMANDS, *moodle_xml.COMMANDS, *credentials.COMMANDS, *xapi.COMMANDS]:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    exit_code: int = args.run(args)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

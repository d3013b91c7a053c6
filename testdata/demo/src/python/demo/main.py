from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from packaging.version import Version

from greeting import __version__ as greeting_version
from greeting import greet, languages

VERSION = Version("1.0.0")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="demo", description="Print a greeting.")
    parser.add_argument("name", nargs="?", default="world", help="who to greet (default: world)")
    parser.add_argument("-l", "--language", default="en", choices=languages())
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {VERSION} (demo-greeting {Version(greeting_version)})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    print(greet(args.name, args.language))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The declared floors as pip constraints: ``name==floor`` for every requirement of
pyproject.toml (runtime and test extras) that has a lower bound (``>=``).

Examples::

    python3 scripts/floors.py                      # to stdout
    python3 scripts/floors.py --out floors.txt     # pip install -c floors.txt -e ".[test]"

``python3 dev.py floors`` (CI's floor job) installs these into a venv of their own and runs
the non-browser tests, so each floor pyproject.toml states is one the suite passes on.
A requirement without a floor is left to pip. Standard library only: it runs before
anything is installed. Exit code 0, or 1 with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")


def floors(pyproject: Path) -> list[str]:
    """``name==version`` for each requirement with a ``>=`` bound, in pyproject's order."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    out: list[str] = []
    for req in requirements:
        match = NAME.match(req)
        if match is None or ";" in req or "[" in req:
            raise ValueError(f"{pyproject}: cannot read the requirement {req!r}")
        name, specs = match.groups()
        lows = [s.strip()[2:].strip() for s in specs.split(",") if s.strip().startswith(">=")]
        if len(lows) > 1:
            raise ValueError(f"{pyproject}: {req!r} has more than one floor")
        if lows:
            out.append(f"{name}=={lows[0]}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    p.add_argument("--out", type=Path, help="write the constraints here (default: stdout)")
    args = p.parse_args(argv)
    try:
        text = "".join(f"{line}\n" for line in floors(args.pyproject))
        if args.out is None:
            sys.stdout.write(text)
        else:
            args.out.write_text(text, encoding="utf-8")
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

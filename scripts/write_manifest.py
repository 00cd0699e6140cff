#!/usr/bin/env python
"""Prepare a shinyapps.io / Posit Connect deployment: pinned requirements + rsconnect manifest.

Examples::

    python scripts/write_manifest.py                  # requirements*.txt + manifest.json in the repo
    python scripts/write_manifest.py --requirements-only
    python scripts/write_manifest.py --project /tmp/bundle   # another copy of the app

Steps:

1. ``requirements.txt``: the runtime dependencies of ``pyproject.toml`` (``[project]
   dependencies`` -- not the test extras) and everything they pull in, each pinned to the
   version installed in the running Python environment; ``requirements-test.txt`` likewise
   for the test extras (what requirements.txt does not pin already). Together they are the
   one tested set: ``dev.py run`` / ``test`` install them as constraints, the Dockerfile
   and the manifest ``requirements.txt``; run this in an environment the tests passed in;
2. ``rsconnect write-manifest shiny PROJECT --overwrite`` with the exclusions of
   :data:`EXCLUDES` (tests, benchmarks, docs, deploy recipes, caches, virtualenvs).
   The processed snapshots in ``data/<board>/`` are part of the bundle: build them first.

Plain ``rsconnect write-manifest shiny .`` works too, but bundles the tests and docs;
rsconnect-python has no ignore file, so the exclusions live here (and in docs/deploy.md).
Exit code 0 on success, 1 on an error (one-line message on stderr).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmtrends.pipeline import store  # noqa: E402 -- reads paths and manifests only

# Glob patterns (relative to the project) left out of the bundle. A bare folder name
# excludes the whole folder. data/ is NOT excluded: the app reads data/<board>/ at start.
EXCLUDES = (
    "tests", "benchmarks", "docs", "deploy", "scripts", "dev.py", "README.md", "requirements-test.txt",
    ".git", ".github", ".venv", ".venv-floors", "venv", ".pytest_cache", ".cache", "data/.cache",
    ".ci", ".notes", "figures", "**/*.pyc", "build", "dist", "llmtrends.egg-info", "pyproject.toml", ".gitignore",
)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(pyproject: Path) -> list[str]:
    """``name==version`` for the runtime dependencies and their closure, from the installed env.

    Raises RuntimeError naming a dependency that is not installed.
    """
    return pinned_closure(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])


def test_requirements(pyproject: Path) -> list[str]:
    """``name==version`` for the test extras and their closure, less what the runtime pins."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    runtime = {_canonical(line.split("==")[0]) for line in runtime_requirements(pyproject)}
    return [line for line in pinned_closure(project["optional-dependencies"]["test"])
            if _canonical(line.split("==")[0]) not in runtime]


def pinned_closure(deps: list[str]) -> list[str]:
    """``name==version`` for ``deps`` and everything they need, as installed here."""
    env = default_environment()
    pinned: dict[str, str] = {}
    todo = [(Requirement(d), "") for d in deps]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
            continue
        key = _canonical(req.name)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            raise RuntimeError(f"{req.name} (needed by the app) is not installed in {sys.prefix}") from None
        seen = key in pinned
        pinned[key] = f"{dist.metadata['Name']}=={dist.version}"
        extras = sorted(req.extras)
        if seen and not extras:
            continue
        for sub in dist.requires or []:
            sub_req = Requirement(sub)
            if sub_req.marker is None or sub_req.marker.evaluate({**env, "extra": ""}):
                if _canonical(sub_req.name) not in pinned:
                    todo.append((sub_req, ""))
            else:
                for ex in extras:
                    if sub_req.marker.evaluate({**env, "extra": ex}) and _canonical(sub_req.name) not in pinned:
                        todo.append((sub_req, ex))
    return sorted(pinned.values(), key=str.lower)


REQUIREMENTS = {  # file -> (what it pins, how it is used)
    "requirements.txt": (runtime_requirements, "Runtime dependencies of llmtrends pinned to the versions it was "
                         "tested with (dev.py, the Dockerfile and the rsconnect manifest install these)."),
    "requirements-test.txt": (test_requirements, "Its test extras pinned likewise, beside requirements.txt: "
                              "pip install -c requirements.txt -c requirements-test.txt -e '.[test]'"),
}


def write_requirements(project: Path, pyproject: Path) -> Path:
    """Write ``project/requirements.txt`` and ``requirements-test.txt`` (pinned); the first."""
    for name, (pins, use) in REQUIREMENTS.items():
        header = (f"# {use}\n"
                  "# Generated by scripts/write_manifest.py from pyproject.toml and the installed environment;\n"
                  "# regenerate with: python scripts/write_manifest.py --requirements-only\n")
        path = project / name
        tmp = path.with_suffix(".txt.tmp")
        tmp.write_text(header + "".join(f"{line}\n" for line in pins(pyproject)), encoding="utf-8")
        tmp.replace(path)
    return project / "requirements.txt"


def rsconnect_command(project: Path) -> list[str]:
    """The ``rsconnect write-manifest shiny`` call with the bundle's exclusions."""
    exe = shutil.which("rsconnect", path=str(Path(sys.executable).parent)) or shutil.which("rsconnect")
    if exe is None:
        raise RuntimeError("rsconnect not found; install rsconnect-python (pip install rsconnect-python)")
    cmd = [exe, "write-manifest", "shiny", str(project), "--overwrite", "--entrypoint", "app:app",
           "--requirements-file", "requirements.txt"]
    for pattern in EXCLUDES:
        cmd += ["--exclude", pattern]
    return cmd


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--project", type=Path, default=ROOT, help="the app folder (default: this repository)")
    p.add_argument("--requirements-only", action="store_true", help="only (re)write requirements.txt")
    p.add_argument("--keep-requirements", action="store_true",
                   help="use the project's existing requirements.txt instead of regenerating it")
    args = p.parse_args(argv)
    project = args.project.resolve()
    try:
        if not (project / "app.py").is_file():
            raise RuntimeError(f"{project}: no app.py (is --project the app folder?)")
        if not args.keep_requirements or not (project / "requirements.txt").exists():
            write_requirements(project, ROOT / "pyproject.toml")
        if args.requirements_only:
            print(f"wrote {project / 'requirements.txt'} and {project / 'requirements-test.txt'}")
            return 0
        if not store.available_boards(project / "data"):
            raise RuntimeError(f"{project / 'data'} has no snapshot; build one first "
                               "(python scripts/preprocess.py --board v2 --out data)")
        proc = subprocess.run(rsconnect_command(project), capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
            raise RuntimeError(f"rsconnect write-manifest failed ({proc.returncode}): {last}")
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {project / 'requirements.txt'} and {project / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

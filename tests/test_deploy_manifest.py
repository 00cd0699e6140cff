"""The shinyapps.io / Posit Connect bundle: rsconnect's manifest holds everything the app uses.

A temporary copy of the project (without .git, .venv and the local data/) gets the test
session's snapshots in ``data/``; ``scripts/write_manifest.py`` runs the real
``rsconnect write-manifest shiny`` there. The expected file list is computed here, from the
import graph of app.py (ast) and a walk of the tree -- never from the manifest.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from llmtrends.pipeline import store

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "write_manifest.py"
LOCAL_PACKAGES = ("llmtrends", "modules")


def module_file(root: Path, dotted: str) -> Path | None:
    """The project file of a dotted module name (package -> its __init__.py), or None."""
    base = root.joinpath(*dotted.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def imported_files(root: Path, start: Path) -> set[Path]:
    """Project files reachable from ``start`` by imports (absolute and relative), by ast."""
    seen: set[Path] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        package = ".".join(path.relative_to(root).with_suffix("").parts)
        if path.name != "__init__.py":
            package = package.rpartition(".")[0]
        else:
            package = package.removesuffix(".__init__")
        names: list[str] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(p for p in base_parts if p)
                    mod = f"{base}.{node.module}" if node.module else base
                else:
                    mod = node.module or ""
                names.append(mod)
                names += [f"{mod}.{a.name}" for a in node.names]  # `from pkg import submodule`
        for name in names:
            parts = name.split(".")
            if parts[0] not in LOCAL_PACKAGES:
                continue
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__ too
                found = module_file(root, ".".join(parts[:i]))
                if found is not None:
                    todo.append(found)
    return seen


@pytest.fixture(scope="module")
def bundle(snapshot_dir, tmp_path_factory) -> tuple[Path, dict]:
    project = tmp_path_factory.mktemp("bundle") / "llmtrends"
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".venv-floors", "data", "__pycache__", ".pytest_cache", "manifest.json",
        "requirements.txt", "requirements-test.txt"))
    (project / "data").mkdir()
    for board in ("v1", "v2"):
        shutil.copytree(snapshot_dir / board, project / "data" / board)
    proc = subprocess.run([sys.executable, str(SCRIPT), "--project", str(project)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((project / "manifest.json").read_text(encoding="utf-8"))
    return project, manifest


def test_manifest_lists_every_file_the_app_uses(bundle):
    project, manifest = bundle
    listed = set(manifest["files"])

    imports = imported_files(project, project / "app.py")
    assert project / "llmtrends" / "views" / "inputs.py" in imports  # the walk reached the views
    expected = {p.relative_to(project).as_posix() for p in imports}
    for pattern in ("modules/*.py", "llmtrends/**/*.py", "llmtrends/*.csv", "www/*"):
        expected |= {p.relative_to(project).as_posix() for p in project.glob(pattern)
                     if p.is_file() and "__pycache__" not in p.parts}
    expected |= {p.relative_to(project).as_posix() for board in ("v1", "v2")
                 for p in (project / "data" / board).rglob("*") if p.is_file()}
    current = {b: store.snapshot_path(project / "data", b).relative_to(project).as_posix() for b in ("v1", "v2")}
    expected |= {"app.py", "requirements.txt", "www/app.css", "data/v1/CURRENT", "data/v2/CURRENT",
                 f"{current['v1']}/models.parquet", f"{current['v1']}/manifest.json",
                 f"{current['v1']}/commit_authors.parquet",
                 f"{current['v2']}/models.parquet", f"{current['v2']}/manifest.json",
                 # the default figures the build stored, which the app serves at once
                 f"{current['v1']}/figures/index.json", f"{current['v2']}/figures/type_popularity.counts.png"}

    missing = sorted(expected - listed)
    assert not missing, f"the bundle lacks {missing}"
    # the manifest's checksums are those of the files on disk
    for name in expected - {"requirements.txt"}:
        digest = hashlib.md5((project / name).read_bytes()).hexdigest()
        assert manifest["files"][name]["checksum"] == digest, name


def test_manifest_leaves_out_tests_and_tooling(bundle):
    project, manifest = bundle
    assert (project / "tests").is_dir() and (project / "benchmarks").is_dir()  # present in the copy
    for name in manifest["files"]:
        top = name.split("/")[0]
        assert top not in {"tests", "benchmarks", ".venv", ".git", "docs", "deploy", "scripts", ".pytest_cache"}, name
        assert not name.endswith(".pyc"), name
    assert "requirements-test.txt" not in manifest["files"]  # the test tools stay out of the deployment
    assert manifest["metadata"] == {"appmode": "python-shiny", "entrypoint": "app:app"}
    assert manifest["python"]["package_manager"]["package_file"] == "requirements.txt"
    assert manifest["python"]["version"] == ".".join(map(str, sys.version_info[:3]))


def test_requirements_pin_the_runtime_dependencies(bundle):
    project, _ = bundle
    lines = [ln for ln in (project / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    pins = {Requirement(ln).name.lower().replace("_", "-"): ln.split("==")[1] for ln in lines}
    assert all("==" in ln for ln in lines)
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        name = Requirement(dep).name
        assert pins[name.lower().replace("_", "-")] == metadata.version(name), name
    for tool in ("pytest", "playwright", "rsconnect-python", "pytest-timeout"):
        assert tool not in pins, f"{tool} is a test tool, not a runtime dependency"
    # the closure: what shiny and plotnine need at run time is pinned too
    for sub in ("starlette", "uvicorn", "mizani", "htmltools"):
        assert sub in pins, sub
    # the test extras, pinned beside it: what requirements.txt does not pin already
    test_lines = [ln for ln in (project / "requirements-test.txt").read_text().splitlines()
                  if ln and not ln.startswith("#")]
    test_pins = {Requirement(ln).name.lower().replace("_", "-"): ln.split("==")[1] for ln in test_lines}
    for tool in ("pytest", "playwright", "rsconnect-python", "pytest-timeout"):
        assert test_pins[tool] == metadata.version(tool), tool
    assert not test_pins.keys() & pins.keys()


def test_plain_rsconnect_command_works(bundle, tmp_path):
    """``rsconnect write-manifest shiny .`` alone (no exclusions) also succeeds and keeps the data."""
    project, _ = bundle
    plain = tmp_path / "plain"
    # the bundle's manifest.json stays behind, the snapshots' own manifests come along
    shutil.copytree(project, plain, ignore=lambda folder, names: ["manifest.json"] if Path(folder) == project else [])
    exe = Path(sys.executable).parent / "rsconnect"
    proc = subprocess.run([str(exe), "write-manifest", "shiny", "."], cwd=plain,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    files = json.loads((plain / "manifest.json").read_text())["files"]
    current = {b: store.snapshot_path(plain / "data", b).relative_to(plain).as_posix() for b in ("v1", "v2")}
    assert {"app.py", f"{current['v1']}/models.parquet", f"{current['v2']}/models.parquet", "data/v2/CURRENT",
            "www/app.css", "requirements.txt"} <= set(files)


def test_script_refuses_a_project_without_snapshots(tmp_path):
    (tmp_path / "app.py").write_text("app = None\n")
    proc = subprocess.run([sys.executable, str(SCRIPT), "--project", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "has no snapshot; build one first" in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "manifest.json").exists()

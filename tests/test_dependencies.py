"""pyproject.toml declares what the code imports; the pinned set and the floors agree with it;
dev.py installs the pinned set (``run``, ``test``) or the floors (``floors``).

What the code imports is found here by walking its syntax trees (ast), and the
distributions behind the imported names by importlib.metadata -- not from pyproject.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCAL = {"llmtrends", "modules", "tests", "app", "dev"}


def _load(path: Path):
    """A script of the repository as a module (scripts/floors.py, dev.py)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


floors = _load(REPO / "scripts" / "floors.py")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: list[str]) -> dict[str, Requirement]:
    return {canonical(Requirement(r).name): Requirement(r) for r in requirements}


RUNTIME = declared(PROJECT["dependencies"])
TEST = declared(PROJECT["optional-dependencies"]["test"])


def imported_top_level(paths: list[Path]) -> dict[str, Path]:
    """Top-level names of absolute imports in the files (first file that imports each)."""
    found: dict[str, Path] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return {k: v for k, v in found.items() if k not in sys.stdlib_module_names and k not in LOCAL}


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def distributions_of(module: str) -> set[str]:
    return {canonical(d) for d in _packages_distributions().get(module, [])}


def _files(*roots: str) -> list[Path]:
    out = []
    for root in roots:
        p = REPO / root
        out += [p] if p.is_file() else sorted(p.rglob("*.py"))
    return out


def test_every_distribution_the_code_imports_is_declared():
    imports = imported_top_level(_files("llmtrends", "modules", "app.py", "scripts"))
    assert {"shiny", "plotnine", "pandas", "httpx2", "huggingface_hub", "tqdm"} <= imports.keys()
    undeclared = {m: str(p.relative_to(REPO)) for m, p in imports.items() if not distributions_of(m) & RUNTIME.keys()}
    assert not undeclared, f"imported but not in [project] dependencies: {undeclared}"


def test_every_distribution_the_tests_import_is_declared():
    imports = imported_top_level(_files("tests"))
    assert {"pytest", "playwright", "PIL", "starlette", "websockets"} <= imports.keys()
    known = RUNTIME.keys() | TEST.keys()
    undeclared = {m: str(p.relative_to(REPO)) for m, p in imports.items() if not distributions_of(m) & known}
    assert not undeclared, f"imported by tests but declared nowhere: {undeclared}"


def _pins(name: str) -> dict[str, Version]:
    lines = [ln for ln in (REPO / name).read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][0-9A-Za-z.+!-]*", ln) for ln in lines), name
    pins = {canonical(ln.split("==")[0]): Version(ln.split("==")[1]) for ln in lines}
    assert len(pins) == len(lines), f"{name} pins a package twice"
    return pins


def test_the_pinned_set_lies_inside_the_declared_ranges():
    runtime, test = _pins("requirements.txt"), _pins("requirements-test.txt")
    assert not runtime.keys() & test.keys()  # one pin per package across both files
    for deps, pins in ((RUNTIME, runtime), (TEST, runtime | test)):
        for name, req in deps.items():
            assert name in pins, f"{name} is not pinned"
            assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} outside {req}"
    assert {"pytest", "playwright", "rsconnect-python"} <= test.keys() and not {"pytest", "playwright"} & runtime.keys()


def test_floors_are_the_lower_bounds_pyproject_declares(tmp_path):
    made_up = tmp_path / "pyproject.toml"  # made up for this test
    made_up.write_text('[project]\nname = "x"\ndependencies = ["a>=1.2,<2", "b_c >= 0.3.1", "d", "e<5"]\n'
                       '[project.optional-dependencies]\ntest = ["f>=8.0.0"]\n', encoding="utf-8")
    assert floors.floors(made_up) == ["a==1.2", "b_c==0.3.1", "f==8.0.0"]
    made_up.write_text('[project]\nname = "x"\ndependencies = ["a>=1,>=2"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="more than one floor"):
        floors.floors(made_up)
    # the real file: a floor for every runtime dependency and test tool
    real = {canonical(line.split("==")[0]): line.split("==")[1] for line in floors.floors(REPO / "pyproject.toml")}
    assert real.keys() == RUNTIME.keys() | {"pytest", "pytest-timeout", "pytest-xdist", "playwright", "rsconnect-python"}
    for name, version in real.items():
        req = (RUNTIME | TEST)[name]
        assert Version(version) in req.specifier and f">={version}" in str(req.specifier), name


def test_dev_py_installs_the_pinned_set_or_the_floors(monkeypatch, tmp_path):
    dev = _load(REPO / "dev.py")
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(dev, "sh", lambda *cmd, env=None: calls.append(cmd))
    fake = tmp_path / "venv"
    (fake / "bin").mkdir(parents=True)
    (fake / "bin" / "python").touch()  # an existing venv: nothing created

    def installs(extras: str, constraints=None) -> list[list[str]]:
        calls.clear()
        dev.ensure_venv(extras, fake, constraints)
        return [[a for a in cmd[3:] if a != "--quiet"] for cmd in calls]

    pinned = ["-c", "requirements.txt"]
    assert installs("") == [["install", *pinned, "--upgrade", "pip"], ["install", *pinned, "-e", "."]]
    both = [*pinned, "-c", "requirements-test.txt"]
    assert installs("test") == [["install", *both, "--upgrade", "pip"], ["install", *both, "-e", ".[test]"]]
    assert installs("test", ["floors.txt"])[1] == ["install", "-c", "floors.txt", "-e", ".[test]"]
    assert all((REPO / c).is_file() for cs in dev.PINNED.values() for c in cs)


def test_the_tests_the_floor_run_leaves_out_exist():
    dev = _load(REPO / "dev.py")
    for node in dev.FLOORS_DESELECT:
        path, name = node.split("::")
        assert f"def {name}(" in (REPO / path).read_text(encoding="utf-8"), node

"""The package layout holds: data flows one way, and each package imports only what its stage
may know (docs/architecture.md, "Packages"). Read from the source with `ast`, so that a new
import that crosses a boundary fails here rather than in a review."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 500

# package -> top-level packages (or crawler subpackages) it must never import.
FORBIDDEN = {
    "crawler.text": {
        "crawler.analysis",
        "crawler.storage",
        "crawler.crawl",
        "crawler.review",
        "crawler.cli",
        "alerts",
        "spiders",
        "scheduler",
    },
    "crawler.analysis": {
        "crawler.storage",
        "crawler.crawl",
        "crawler.review",
        "crawler.cli",
        "alerts",
        "spiders",
        "scheduler",
    },
    "crawler.storage": {
        "crawler.crawl",
        "crawler.review",
        "crawler.cli",
        "alerts",
        "spiders",
        "scheduler",
    },
    "crawler.crawl": {"crawler.review", "crawler.cli", "alerts", "scheduler"},
    "crawler.review": {"crawler.crawl", "crawler.cli", "alerts", "spiders", "scheduler"},
    "spiders": {"crawler.review", "crawler.cli", "alerts", "scheduler"},
    "alerts": {"crawler.crawl", "crawler.review", "crawler.cli", "spiders", "scheduler"},
}


def modules() -> list[tuple[str, Path]]:
    found = []
    for top in ("crawler", "alerts", "spiders"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(rel.parts).removesuffix(".__init__")
            found.append((name, path))
    return found


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_imports_follow_the_data_flow(name: str, path: Path) -> None:
    rules = [banned for package, banned in FORBIDDEN.items() if _under(name, package)]
    crossing = sorted(
        target
        for target in imported(path)
        for banned in rules
        for package in banned
        if _under(target, package)
    )
    assert not crossing, f"{name} imports {crossing}"


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_no_private_name_of_another_package_is_imported(name: str, path: Path) -> None:
    own = name.split(".")[: 2 if name.startswith("crawler.") else 1]
    private = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            theirs = node.module.split(".")[: len(own)]
            if theirs != own and node.module.split(".")[0] in {"crawler", "alerts", "spiders"}:
                private += [a.name for a in node.names if a.name.startswith("_")]
    assert not private, f"{name} imports private names {private}"


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for _, path in modules()
    }
    sizes["scheduler.py"] = len((ROOT / "scheduler.py").read_text(encoding="utf-8").splitlines())
    over = {p: n for p, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not over, f"modules over {MAX_MODULE_LINES} lines: {over}"


def test_every_package_is_listed_for_installation() -> None:
    # pyproject lists packages by name: one left out installs without it, and only a
    # non-editable install (a wheel, the Docker image) would find out.
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("crawler", "alerts", "spiders")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found - listed == set(), f"packages missing from pyproject.toml: {found - listed}"

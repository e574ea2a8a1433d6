"""The import boundaries of architecture.md, checked by reading every module's syntax tree.

- ``sync`` imports only the standard library, ``msgspec`` and itself, and never reaches for I/O, the
  clock or randomness (those are arguments);
- ``server`` and ``client`` never import each other;
- only ``server/market/providers/yahoo.py`` imports ``yfinance``; only ``client/`` imports ``flet``,
  ``keyring`` and ``sqlite_utils``; only ``server/`` imports ``litestar`` and ``sqlalchemy``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sync", "server", "client")

# Standard-library modules that do I/O, read a clock or draw randomness: never in the pure core.
IMPURE = frozenset(
    {
        "asyncio",
        "concurrent",
        "ctypes",
        "ftplib",
        "http",
        "importlib",
        "io",
        "logging",
        "multiprocessing",
        "os",
        "pathlib",
        "random",
        "secrets",
        "select",
        "selectors",
        "shutil",
        "signal",
        "smtplib",
        "socket",
        "sqlite3",
        "ssl",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "urllib",
        "uuid",
    }
)
CLOCK_CALLS = frozenset({"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"})
IMPURE_BUILTINS = frozenset({"open", "input", "exec", "eval", "__import__"})

# third-party module → the only places (path prefixes relative to the project root) that may import it
OWNED = {
    "yfinance": ("server/market/providers/yahoo.py",),
    "flet": ("client/",),
    "keyring": ("client/",),
    "sqlite_utils": ("client/",),
    "litestar": ("server/",),
    "sqlalchemy": ("server/",),
}


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    line: int


def imports_of(tree: ast.Module, package: str) -> Iterator[Import]:
    """Every module a file imports (relative imports resolve into the file's own top package)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = package if node.level else (node.module or "")
            yield Import(base, node.lineno)
            for alias in node.names:  # `from uuid import uuid4` names the function too
                yield Import(f"{base}.{alias.name}", node.lineno)


def top(module: str) -> str:
    return module.partition(".")[0]


def sync_violations(tree: ast.Module) -> list[str]:
    """Why a module would break the purity of ``sync`` (empty when it is pure)."""
    found: list[str] = []
    for imp in imports_of(tree, "sync"):
        name = top(imp.module)
        if name in IMPURE:
            found.append(f"line {imp.line}: imports {imp.module} (I/O, clock or randomness)")
        elif name not in sys.stdlib_module_names and name not in ("sync", "msgspec", "__future__"):
            found.append(f"line {imp.line}: imports {imp.module} (only the standard library and msgspec)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in CLOCK_CALLS:
                found.append(f"line {node.lineno}: calls .{func.attr}() (time is an argument)")
            if isinstance(func, ast.Name) and func.id in IMPURE_BUILTINS:
                found.append(f"line {node.lineno}: calls {func.id}()")
    return found


def boundary_violations(tree: ast.Module, path: str) -> list[str]:
    """Cross-package and third-party ownership rules for the module at ``path`` (relative, posix)."""
    package = path.partition("/")[0]
    found: list[str] = []
    for imp in imports_of(tree, package):
        name = top(imp.module)
        if {package, name} == {"server", "client"}:
            found.append(f"line {imp.line}: {package} imports {imp.module}")
        owners = OWNED.get(name)
        if owners and not path.startswith(owners):
            found.append(f"line {imp.line}: imports {imp.module}, which only {', '.join(owners)} may")
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_sync_is_pure() -> None:
    assert modules("sync"), "the shared core is missing"
    problems = {
        str(path.relative_to(ROOT)): found
        for path in modules("sync")
        if (found := sync_violations(parse(path)))
    }
    assert problems == {}


@pytest.mark.parametrize("package", PACKAGES)
def test_package_boundaries(package: str) -> None:
    if not (ROOT / package).is_dir():
        pytest.skip(f"{package}/ does not exist yet")
    problems: dict[str, list[str]] = {}
    for path in modules(package):
        relative = path.relative_to(ROOT).as_posix()
        if found := boundary_violations(parse(path), relative):
            problems[relative] = found
    assert problems == {}


# --- the checks themselves must be able to fail -----------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "import random",
        "from uuid import uuid4",
        "import time\nx = time.time()",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.date.today()",
        "import sqlite3",
        "import socket",
        "from asyncio import sleep",
        "import os.path",
        "import httpx",
        "from server.db import Database",
        "data = open('x').read()",
    ],
)
def test_the_purity_check_catches(source: str) -> None:
    assert sync_violations(ast.parse(source))


@pytest.mark.parametrize(
    "source",
    [
        "import msgspec",
        "from datetime import datetime, timedelta, timezone",
        "from . import ledger\nfrom .money import MICRO",
        "import hashlib, json, enum",
        "x = moment.astimezone(KST)",
    ],
)
def test_the_purity_check_allows(source: str) -> None:
    assert not sync_violations(ast.parse(source))


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("server/app.py", "from client.store import Store"),
        ("client/engine.py", "import server.app"),
        ("server/market/quotes.py", "import yfinance"),
        ("client/app.py", "import yfinance as yf"),
        ("server/app.py", "import flet"),
        ("sync/book.py", "from keyring import get_password"),
        ("server/db/models.py", "from sqlite_utils import Database"),
        ("client/store/db.py", "from sqlalchemy import select"),
        ("client/net/api.py", "from litestar import get"),
    ],
)
def test_the_boundary_check_catches(path: str, source: str) -> None:
    assert boundary_violations(ast.parse(source), path)


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("server/market/providers/yahoo.py", "import yfinance"),
        ("client/app.py", "import flet as ft\nimport keyring\nimport sqlite_utils"),
        ("server/db/models.py", "from sqlalchemy.orm import Mapped\nfrom litestar import Litestar"),
        ("server/app.py", "from . import settings\nfrom sync import decide"),
        ("client/engine.py", "from sync.rebase import rebase\nimport httpx"),
    ],
)
def test_the_boundary_check_allows(path: str, source: str) -> None:
    assert not boundary_violations(ast.parse(source), path)

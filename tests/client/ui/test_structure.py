"""The client's layering: views depend on a small ``Host`` and their view-model, never on the app
that builds them (no import circle), and they read no runtime or shell behind their view-model."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

VIEWS = Path(__file__).resolve().parents[3] / "client" / "views"


def test_every_view_imports_without_the_app() -> None:
    modules = sorted(
        ".".join(p.relative_to(VIEWS.parent.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in VIEWS.rglob("*.py")
    )
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        "print('client.app' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_no_view_reaches_past_its_view_model() -> None:
    reached = []
    for path in VIEWS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("runtime", "shell", "page", "deps", "prefs"):
                reached.append(f"{path.name}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Assign):  # a view sets state through the view-model's methods
                for target in node.targets:
                    inner = target.value if isinstance(target, ast.Attribute) else None
                    if isinstance(inner, ast.Attribute) and inner.attr == "vm":
                        assert isinstance(target, ast.Attribute)
                        reached.append(f"{path.name}:{node.lineno} writes vm.{target.attr}")
    assert reached == []

"""Every translation the code asks for exists and gets exactly the values its text names.

The catalog tests compare the two languages with each other; this one compares them with the code:
``tr("portfolio.adjusted_reason", seen=…)`` against a text that says ``{price}`` would crash the
child's screen the first time an adjusted order shows up.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

from client.i18n.catalog import load_catalogs

CLIENT = Path(__file__).resolve().parents[3] / "client"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _calls() -> list[tuple[str, int, str, set[str]]]:
    """(file, line, key, keyword names) of every ``tr("literal", …)`` / ``….tr("literal", …)``."""
    found = []
    for path in sorted(CLIENT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            if name != "tr" or not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if any(k.arg is None for k in node.keywords):  # **values: checked where they are built
                continue
            found.append((path.name, node.lineno, first.value, {k.arg for k in node.keywords if k.arg}))
    return found


def test_the_code_asks_for_translations_at_all() -> None:
    assert len(_calls()) > 50  # the scan found the screens' texts, so the checks below mean something


def test_every_key_the_code_asks_for_exists_with_the_values_it_names() -> None:
    catalogs = load_catalogs()
    problems = []
    for file, line, key, given in _calls():
        for locale, catalog in catalogs.items():
            if key not in catalog:
                problems.append(f"{file}:{line} {key!r} missing in {locale}")
            elif _placeholders(catalog[key]) != given:
                wanted = sorted(_placeholders(catalog[key]))
                gives = sorted(given)
                problems.append(f"{file}:{line} {key!r} ({locale}) names {wanted}, code gives {gives}")
    assert not problems, "\n".join(problems)

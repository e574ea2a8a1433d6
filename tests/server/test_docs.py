"""The README documents every route and every error code, and nothing that does not exist."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from server.app import create_app
from server.problems import status_of
from server.settings import Settings
from sync.errors import Code, ProtocolCode

README = Path(__file__).resolve().parents[2] / "README.md"


def _normal(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_readme_api_table_matches_the_routes(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings())
    routes = {
        (method, _normal(route.path))
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        for method in getattr(handler, "http_methods", ())
        if method not in ("OPTIONS", "HEAD") and not route.path.startswith("/schema")
    }
    rows = re.findall(r"^\| (GET|POST|PUT|DELETE) \| `([^`]+)` \|", README.read_text(), flags=re.MULTILINE)
    documented = {(method, _normal(path)) for method, path in rows}
    assert routes - documented == set(), "routes missing from the README's API table"
    assert documented - routes == set(), "the README documents routes that do not exist"
    app.state.db.dispose()


def test_readme_error_table_has_every_code_with_its_status() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \| (\d{3}) \|", README.read_text(), flags=re.MULTILINE)
    documented = {code: int(status) for code, status in rows}
    codes = {c.value for c in Code} | {c.value for c in ProtocolCode}
    assert codes - documented.keys() == set(), "codes missing from the README's error table"
    assert documented.keys() - codes == set(), "the README documents codes that do not exist"
    wrong = {code: status for code, status in documented.items() if status_of(code) != status}
    assert wrong == {}, "the README's status differs from the server's"

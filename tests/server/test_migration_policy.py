"""Expand, then contract (server/db/migrate.py): a migration may not take away anything the release
before it still uses, or that release would fail mid-upgrade while it keeps serving beside the new
one. Checked on the migration's own code, so a breaking step fails here before any deploy.

Migrations older than the policy are listed by revision; a contract step declares, in its module's
``contract`` string, which release stopped using what it removes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from server.db.migrate import MIGRATIONS_DIR

# written before the policy (their tables were all new, the first deploy had no previous release)
_BEFORE_THE_POLICY = {
    "37dc3e9763a7", "5b1f0c2e9a47", "53ac9db51e92", "80c8bd43ec9f", "3c1a7e5b9d20",
    "4d2b8f6c0e31", "6f4e0b8a2c53", "9a7d3c1e5f02", "b7e2c4a91d08",
}  # fmt: skip
_TAKES_AWAY = {"drop_table", "drop_column", "alter_column", "rename_table", "drop_constraint", "drop_index"}


def _migrations() -> list[Path]:
    return sorted((MIGRATIONS_DIR / "versions").glob("*.py"))


def _revision(tree: ast.Module) -> str:
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Constant):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "revision" for t in targets):
                return str(node.value.value)
    raise AssertionError("no revision")


def breaking_steps(source: str) -> list[str]:
    """What ``upgrade()`` of a migration does that the previous release could trip over."""
    tree = ast.parse(source)
    upgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
    found: list[str] = []
    for node in ast.walk(upgrade):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        if name in _TAKES_AWAY:
            found.append(name)
        elif name == "add_column":
            column = next((a for a in node.args if isinstance(a, ast.Call)), None)
            keywords = {k.arg: k.value for k in (column.keywords if column else [])}
            nullable = keywords.get("nullable")
            required = isinstance(nullable, ast.Constant) and nullable.value is False
            if required and "server_default" not in keywords:
                found.append("add_column NOT NULL without a server default")
    return found


@pytest.mark.parametrize("path", _migrations(), ids=lambda p: p.stem)
def test_each_new_migration_only_expands_or_says_what_it_contracts(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    if _revision(tree) in _BEFORE_THE_POLICY:
        return
    declared = any(
        isinstance(n, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == "contract"
            for t in ([n.target] if isinstance(n, ast.AnnAssign) else n.targets)
        )
        for n in tree.body
    )
    steps = breaking_steps(source)
    assert not steps or declared, (
        f"{path.name} takes away {steps}: the previous release may still use it. Expand now and "
        "contract in a later migration, naming the release that stopped using it in `contract = ...`"
    )


def test_the_check_catches_what_would_break_the_previous_release() -> None:
    dropping = "def upgrade():\n    op.drop_column('users', 'locale')\n"
    required = "def upgrade():\n    op.add_column('users', sa.Column('x', sa.String(), nullable=False))\n"
    defaulted = (
        "def upgrade():\n"
        "    op.add_column('users', sa.Column('x', sa.String(), nullable=False, server_default='a'))\n"
    )
    batch = (
        "def upgrade():\n    with op.batch_alter_table('t') as b:\n"
        "        b.alter_column('c', nullable=False)\n"
    )
    assert breaking_steps(dropping) == ["drop_column"]
    assert breaking_steps(required) == ["add_column NOT NULL without a server default"]
    assert breaking_steps(defaulted) == []
    assert breaking_steps(batch) == ["alter_column"]

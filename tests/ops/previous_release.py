"""The code of the previous schema, taken from this repository's own history.

The newest migration's parent revision ``P`` is the schema the previous release ran on. Walking the
history back from ``HEAD`` (newest first), the newest commit whose migrations end at exactly ``P`` is
that release's code (on ``main`` that is the merge before the migration arrived; on a branch, the
commit before it; when a merge brought two migrations at once, the branch commit that had only the
first). Its ``server``, ``sync`` and ``assets`` are extracted with ``git archive`` and run
with this checkout's virtual environment.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
from pathlib import Path

from alembic.script import ScriptDirectory

from server.db.migrate import MIGRATIONS_DIR

__all__ = ["NoHistory", "extract_previous_release", "previous_release"]

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = "server/db/migrations/versions"
_REVISION = re.compile(r"^(down_)?revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


class NoHistory(RuntimeError):
    """The checkout has no history to take the previous release from (a shallow clone)."""


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _heads_at(commit: str) -> frozenset[str]:
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in _git("ls-tree", "--name-only", f"{commit}:{VERSIONS}").split():
        if not path.endswith(".py"):
            continue
        source = _git("show", f"{commit}:{VERSIONS}/{path}")
        for down, value in _REVISION.findall(source):
            names = set(re.findall(r"'([0-9a-f]+)'|\"([0-9a-f]+)\"", value))
            found = {a or b for a, b in names}
            (parents if down else revisions).update(found)
    return frozenset(revisions - parents)


def previous_release() -> tuple[str, str]:
    """``(commit, revision)``: the newest commit whose schema head is the newest migration's parent."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    (head,) = script.get_heads()
    parent = script.get_revision(head).down_revision
    assert isinstance(parent, str), "the newest migration has one parent"
    try:
        walked = _git("log", "--format=%H %T", "-n", "600", "HEAD").split("\n")
    except subprocess.CalledProcessError as error:
        raise NoHistory(str(error)) from error
    seen: dict[str, frozenset[str]] = {}
    for line in filter(None, walked):
        commit, _ = line.split()
        try:
            tree = _git("rev-parse", f"{commit}:{VERSIONS}").strip()
        except subprocess.CalledProcessError:
            continue  # a commit from before the migrations existed
        if tree not in seen:
            seen[tree] = _heads_at(commit)
        if seen[tree] == {parent}:
            return commit, parent
    raise NoHistory(f"no commit in the history ends its migrations at {parent}")


def extract_previous_release(commit: str, into: Path) -> Path:
    """``server``, ``sync`` and ``assets`` of ``commit`` under ``into``; returns ``into``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "server", "sync", "assets"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into

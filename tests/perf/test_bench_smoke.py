"""``python -m bench --quick`` runs end to end and prints a row for every figure (not its timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = [
    "a1",
    "a2",
    "a3",
    "c1",
    "c2",
    "c3",
    "d1",
    "d2",
    "d3",
    "d4",
    "e10",
    "e1000",
    "e2000",
    "f",
    "g1",
    "g2",
    "g3",
    "k1",
    "k2",
    "k3",
    "k4",
    "k5",
    "k6",
    "k7",
    "k8",
    "k9",
    "k10",
    "k11",
    "k12",
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "o1",
    "o2",
    "o3",
    "o4",
    "r1",
    "r2",
    "r3",
    "r4",
    "r5",
    "r6",
    "r7",
    "r8",
    "s1",
    "s2",
]


@pytest.mark.slow
def test_quick_bench_prints_every_figure(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    assert [key for key in KEYS if key not in rows] == []
    assert len(list(tmp_path.glob("bench-*-quick.json"))) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("part", "wanted", "others"),
    [
        ("sqlite", {"a1", "a2", "a3", "e10", "e1000"}, {"c1", "m3", "o1", "r1"}),
        ("postgres", {"c1", "c2", "c3", "d3", "d4"}, {"a1", "m3", "m5", "o1"}),
    ],
)
def test_one_part_of_the_bench_runs_alone(
    tmp_path: Path, part: str, wanted: set[str], others: set[str], request: pytest.FixtureRequest
) -> None:
    """``--only PART``: one part's figures (to compare a change back to back) and no others."""
    if part == "postgres":
        request.getfixturevalue("pg_database")  # PostgreSQL reachable (skips, or fails in CI, if not)
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", part, "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    assert wanted | {"f"} <= rows.keys()
    assert not rows.keys() & others
    measured = [key for key in wanted if "skipped" in rows[key]]
    assert measured == []  # each figure was measured, not reported as skipped

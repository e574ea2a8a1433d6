#!/usr/bin/env bash
# The whole pytest suite as two processes side by side (this machine has two cores; one process
# took 47 minutes in CI). The first runs what drives a browser (tests/client, tests/e2e) and the
# fault scenarios one after the other, so that two Flutter renderers never starve each other; the
# second everything else. The randomized sync model test is split between the two (below). Each
# gets its own PostgreSQL database (tests/conftest.py).
# The second streams; the first's output follows when both are done. Fails if either fails.
# Extra arguments go to both (e.g. -x, -k).
set -u
BIN=${BIN:-.venv/bin}
first_log=$(mktemp)
trap 'rm -f "$first_log"' EXIT

# the randomized sync model test is the longest single test: its SQLite run (200 × 50 at CI size,
# about 18 minutes) follows the browsers in the first process, its PostgreSQL run (about 6) the rest
# in the second; with both in the second, the second took 52 minutes and the first 19
MODEL_PG=tests/faults/test_sync_model.py::test_sync_model_postgres
rest=()
for path in tests/*/ tests/test_*.py; do
  case "$path" in
    tests/client/ | tests/e2e/ | tests/faults/ | tests/__pycache__/ | tests/artifacts/) ;;
    *) rest+=("${path%/}") ;;
  esac
done

"$BIN/pytest" --durations=15 "$@" tests/client tests/e2e tests/faults --deselect "$MODEL_PG" >"$first_log" 2>&1 &
first=$!
"$BIN/pytest" --durations=15 "$@" "${rest[@]}" "$MODEL_PG"
second_rc=$?
wait "$first"
first_rc=$?

echo
echo "=================== browser, journey and fault tests (ran alongside) ==================="
cat "$first_log"
echo "exit codes: browser/journey/faults $first_rc, the rest $second_rc"
[ "$first_rc" -eq 0 ] && [ "$second_rc" -eq 0 ]

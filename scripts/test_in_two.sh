#!/usr/bin/env bash
# The whole pytest suite as two processes side by side (this machine has two cores; one process
# took 47 minutes in CI). The first runs what drives a browser or a long randomized run
# (tests/client, tests/e2e, tests/faults) one after the other, so that two Flutter renderers never
# starve each other; the second everything else. Each gets its own PostgreSQL database (tests/conftest.py).
# The second streams; the first's output follows when both are done. Fails if either fails.
# Extra arguments go to both (e.g. -x, -k).
set -u
BIN=${BIN:-.venv/bin}
first_log=$(mktemp)
trap 'rm -f "$first_log"' EXIT

"$BIN/pytest" "$@" tests/client tests/e2e tests/faults >"$first_log" 2>&1 &
first=$!
"$BIN/pytest" "$@" --ignore=tests/client --ignore=tests/e2e --ignore=tests/faults tests
second_rc=$?
wait "$first"
first_rc=$?

echo
echo "=================== browser, journey and fault tests (ran alongside) ==================="
cat "$first_log"
echo "exit codes: browser/journey/faults $first_rc, the rest $second_rc"
[ "$first_rc" -eq 0 ] && [ "$second_rc" -eq 0 ]

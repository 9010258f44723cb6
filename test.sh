#!/usr/bin/env bash
# One command: install (if needed) and run the whole test suite. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")"
scripts/install.sh || exit 1
scripts/engines.sh || exit 1
# The PostgreSQL and Chroma-server tests must run here: an engine that cannot start fails them, never skips.
export QINGFENG_TEST_REQUIRE_ENGINES=1
# One worker per core; a file's tests stay together (module fixtures start one bot process per file), and the files
# go out in the order tests/conftest.py gives them (longest first), not xdist's by number of tests.
.venv/bin/python -m pytest -n auto --dist loadfile --no-loadscope-reorder "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "no tests were collected: failing" >&2
  exit 1
fi
exit "$status"

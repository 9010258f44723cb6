#!/usr/bin/env bash
# Make sure the engines the integration tests run against are on this machine: PostgreSQL's server programs
# (installed from the system packages when missing) and the Chroma server (installed with chromadb in .venv).
# The tests start throwaway instances themselves, on loopback (tests/integration/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."

have_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
    || compgen -G "/usr/pgsql-*/bin/initdb" >/dev/null
}

if ! have_postgres; then
  echo "PostgreSQL server programs not found: installing them from the system packages" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "cannot install PostgreSQL: not root and no sudo (install the postgresql package, or set" \
      "QINGFENG_TEST_POSTGRES_URL)" >&2
    exit 1
  fi
  if command -v apt-get >/dev/null 2>&1; then
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  elif command -v dnf >/dev/null 2>&1; then
    "${SUDO[@]}" dnf install -y -q postgresql-server
  else
    echo "cannot install PostgreSQL: no apt-get or dnf here" >&2
    exit 1
  fi
  have_postgres || { echo "PostgreSQL was installed but initdb is still missing" >&2; exit 1; }
fi

if [ ! -x .venv/bin/chroma ]; then
  echo "the chroma command is missing from .venv (chromadb not installed?)" >&2
  exit 1
fi

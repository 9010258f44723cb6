#!/usr/bin/env bash
# One command on a fresh machine: install everything, build the index, answer a sample question.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install.sh
.venv/bin/qingfeng ingest
.venv/bin/qingfeng ask "能开单位的车送孩子上学吗"

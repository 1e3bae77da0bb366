#!/usr/bin/env bash
# Build (once per version of requirements.txt) a virtualenv from requirements.txt ALONE, as a
# production install would, and print the path of its python.
#
# The venv lives in .venv-fresh/; a stamp keyed on requirements.txt's hash says it is complete,
# so a rerun with unchanged requirements is instant. pip installs from the same places as for
# .venv (its wheel cache, then the package index). Used by `make test` and by
# tests/test_fresh_install.py, which starts a real Celery worker from it.
#   scripts/fresh-venv.sh            -> build if needed, print .venv-fresh/bin/python
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 2>/dev/null || command -v python3)}
VENV=${FRESH_VENV:-.venv-fresh}
hash=$(sha256sum requirements.txt | cut -c1-16)
stamp="$VENV/.stamp-$hash"

if [ ! -f "$stamp" ]; then
  echo "Building $VENV from requirements.txt alone (a fresh production install)..." >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q -r requirements.txt >&2
  # Fail here, not later in a worker, if the pinned set is inconsistent.
  "$VENV/bin/python" -m pip check >&2
  touch "$stamp"
fi
echo "$PWD/$VENV/bin/python"

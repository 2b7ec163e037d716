# Sourced by the other scripts: makes (or reuses) the virtual environment .venv and puts it first on PATH.
# Re-installs only when requirements.txt or pyproject.toml changed since the last install.
set -euo pipefail
# The physical path (no symbolic link in it): the installed code is found there, and the grader resolves its own.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PYTHON" -m venv "$ROOT/.venv"
fi
stamp="$ROOT/.venv/.requirements.sha256"
want="$(cat "$ROOT/requirements.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing the pinned environment into .venv (first run: a few minutes)..."
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt"
  # The course's own code, editable: this checkout's autograder, cnnlab, tools... importable by name (pyproject.toml).
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT"
  echo "$want" > "$stamp"
fi
# Every dask command run from .venv (a grading cluster's scheduler and workers) reads the course's settings there.
install -D -m 644 "$ROOT/autograder/dask.yaml" "$ROOT/.venv/etc/dask/grading.yaml"
# nbgrader calls alembic from PATH when it creates a gradebook: the venv's bin must come first.
export PATH="$ROOT/.venv/bin:$PATH"
# Read by TensorFlow at import time, also in every notebook kernel started from here
# (see source/sec02/cnnlab/__init__.py).
export TF_ENABLE_ONEDNN_OPTS=0 TF_CPP_MIN_LOG_LEVEL=3
cd "$ROOT"

#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up .venv, then runs pytest. Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
python -m pytest tests "$@"

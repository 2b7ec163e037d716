#!/usr/bin/env bash
# The main job, from a fresh clone: sets up .venv, then checks the shipped models on the embedded data.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd source/sec02
python -m cnnlab.evaluate "$@"

#!/usr/bin/env bash
# The main job, from a fresh clone: sets up .venv, then grades the embedded sample class (or the class given:
# --submissions DIR or --zip FILE; see autograder/grade.py).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
python -m autograder.grade "$@"

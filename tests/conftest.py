"""Shared set-up for the repository's own tests."""
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "source" / "sec02"

# Before anything imports TensorFlow (see source/sec02/cnnlab/__init__.py for why).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
for path in (ROOT, ASSIGNMENT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

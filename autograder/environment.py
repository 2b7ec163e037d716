"""The environment of every process the course starts: nbgrader, its kernels, the grading code.

* ``TENSORFLOW``: read by TensorFlow when it is imported, in the grader's processes and in every kernel. No oneDNN
  (with it, an eager ``GradientTape`` through a 1x1 stride-2 convolution can crash TensorFlow 2.21), no C++ log
  lines (nbgrader scores 0 a test cell that writes to stderr), full float32 on a GPU (no TF32; see
  ``exercises/recording.full_float32``). An assignment's own code may set the first two for its students' kernels.
* ``environment()``: nbgrader runs ``alembic`` from PATH when it creates a gradebook, so this Python's bin comes
  first; kernels draw with the notebook's inline backend, as a student's do, whatever the caller's shell chose.
* ``run_nbgrader(...)``: nbgrader (``nbgrader_command``) with that environment; ``nbgrader_step(...)``, one that
  must succeed.
"""
import os
import pathlib
import subprocess
import sys

from autograder import InfrastructureError

TENSORFLOW = {"TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3", "NVIDIA_TF32_OVERRIDE": "0"}


def set_tensorflow_defaults():
    """For this process, before it imports TensorFlow: the settings above, unless the caller chose otherwise."""
    for name, value in TENSORFLOW.items():
        os.environ.setdefault(name, value)


def environment(**extra):
    """A copy of this process's environment for a child: this Python's bin first on PATH, TensorFlow's settings,
    no MPLBACKEND; then ``extra``."""
    env = dict(os.environ, **TENSORFLOW)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")])
    env.pop("MPLBACKEND", None)
    env.update(extra)
    return env


# ``python -m nbgrader`` without jsonschema's optional IRI format checker: importing ``rfc3987_syntax`` builds its
# grammar, about 0.9 s of the 2 s in which every nbgrader process starts (on 2 cores), once per submission graded,
# for a format that no notebook schema uses. With the module blocked, jsonschema registers the others and goes on.
NBGRADER = ("import runpy, sys; sys.modules['rfc3987_syntax'] = None; "
            "runpy.run_module('nbgrader', run_name='__main__', alter_sys=True)")


def nbgrader_command(*args):
    return [sys.executable, "-c", NBGRADER, *args]


def run_nbgrader(*args, cwd, **run_options):
    """``nbgrader *args`` run in ``cwd`` (whose ``nbgrader_config.py`` it reads), output captured as text;
    ``run_options`` go to ``subprocess.run`` (``timeout``, ``check``, ``env``)."""
    run_options.setdefault("env", environment())
    return subprocess.run(nbgrader_command(*args), cwd=cwd, capture_output=True, text=True, **run_options)


def nbgrader_step(course, *args, timeout=600):
    """``nbgrader *args`` in the course folder ``course``, a step of the batch: its failure is the machinery's."""
    result = run_nbgrader(*args, "--log-level=ERROR", cwd=course, timeout=timeout)
    if result.returncode != 0:
        what = " ".join(arg for arg in args[:3] if not arg.startswith(("-", "/")))
        raise InfrastructureError(f"nbgrader {what} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result

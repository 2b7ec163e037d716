"""How far a reader follows one submission through the grading code: the hops between its modules.

    python -m benchmarks.hops [--repo PATH]    # writes benchmarks/results/hops.{json,md}

The main command grades one student (the reference solutions, sample student ada) of a scratch course, with every
Python process it starts (the batch, the grading job, the judge, nbgrader, the student's kernel) traced by
``sys.setprofile``. A hop is a call from a function of one module of the grading
code (``autograder/``, ``assignments/``) into a function of another, counted once however often it runs: the
calls a reader follows from the command to the grade. A hop *back* goes into a module the process had already been
in. The total counts the batch, the job and the judge (``GRADING``). Run on another checkout (``--repo``, e.g. a worktree of an older commit) it counts that code the same way.

The trace runs without the sandbox (``--no-sandbox``: the sandbox passes the judge no environment of the
grader's), which changes no call of the grading code but the sandbox's own wrapping.
"""
import argparse
import collections
import datetime
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
# The processes of one submission's grading that the total counts. The others depend on what a machine has done
# before: the reference answers and the cells' time limits are computed once per release (with the reference notebook
# graded in a kernel), then found in the cache.
GRADING = ("batch", "job", "judge")

# Loaded first by every Python process that has it on its path (``site``); records that process's hops.
TRACER = '''
import atexit, json, os, sys, threading

_root, _out = os.environ["HOPS_ROOT"], os.environ["HOPS_OUT"]
_packages = tuple(os.path.join(_root, p) + os.sep for p in ("autograder", "assignments"))
_edges, _entered = {}, [None]


def _module(code):
    path = code.co_filename
    return os.path.relpath(path, _root) if path.startswith(_packages) else None


def _profile(frame, event, arg):
    if event != "call" or frame.f_back is None:
        return
    callee, caller = _module(frame.f_code), _module(frame.f_back.f_code)
    if callee is None or caller is None or callee == caller:
        return
    edge = (f"{caller}:{frame.f_back.f_code.co_name}", f"{callee}:{frame.f_code.co_name}")
    if edge not in _edges:
        _edges[edge] = callee in _entered
        _entered.append(callee)


def _write():
    with open(os.path.join(_out, f"{os.getpid()}.json"), "w") as f:
        json.dump({"argv": sys.argv, "hops": [[a, b, back] for (a, b), back in _edges.items()]}, f)


sys.setprofile(_profile)
threading.setprofile(_profile)
atexit.register(_write)
'''


def trace(repo, workdir):
    """{process: [(caller, callee, back)]} of one student graded by ``repo``'s main command."""
    course, site, out = workdir / "course", workdir / "site", workdir / "hops"
    site.mkdir()
    out.mkdir()
    (site / "sitecustomize.py").write_text(TRACER)
    python = repo / ".venv" / "bin" / "python"
    if not python.exists():
        python = pathlib.Path(sys.executable)
    subprocess.run([str(python), "-c", f"import sample_class; sample_class.new_course({str(course)!r})"], cwd=repo,
                   check=True)
    # The checkout's code wherever a process imports it, even a process that leaves its working folder off its path
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(repo)]), HOPS_ROOT=str(repo), HOPS_OUT=str(out),
               PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([str(python), "-m", "autograder.grade", "--course", str(course), "--assignment", "sec02",
                           "--students", "ada", "--workers", "1", "--no-sandbox"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0 or "graded: ada" not in done.stdout:
        raise SystemExit(f"the grading failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    processes = collections.defaultdict(list)
    for path in sorted(out.glob("*.json")):
        record = json.loads(path.read_text())
        processes[_process(record["argv"])] += record["hops"]
    return {name: hops for name, hops in processes.items() if hops}


def _process(argv):
    """A traced process by what it is: the batch, a grading job, the judge, nbgrader's autograde, ..."""
    line = " ".join(argv)
    for word, name in (("autograder/grade.py", "batch"), ("autograder/job.py", "job"),
                       ("autograder/verify.py", "judge"), ("autograder/references.py", "references"),
                       ("ipykernel_launcher", "the student's kernel"), ("sample_class", "the sample class written"),
                       ("autograde", "nbgrader autograde"), ("generate_assignment", "nbgrader generate_assignment"),
                       ("export", "nbgrader export"), ("prepare()", "the assignment's data prepared")):
        if word in line:
            return name
    return line[:60]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(ROOT), help="the checkout whose grading code is traced (default: this)")
    args = parser.parse_args(argv)
    repo = pathlib.Path(args.repo).resolve()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        processes = trace(repo, pathlib.Path(tmp))
    counts = {name: {"hops": len(hops), "back": sum(back for _, _, back in hops)} for name, hops in processes.items()}
    total = collections.Counter()
    for name in GRADING:
        total.update(counts.get(name, {}))
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "commit": commit.strip(), "by_process": counts, "total": dict(total),
              "hops": {name: [f"{a} -> {b}" for a, b, _ in hops] for name, hops in processes.items()}}
    RESULTS.mkdir(exist_ok=True)
    name = f"hops-{result['commit']}" if repo != ROOT else "hops"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({"commit": result["commit"], "by_process": counts, "total": dict(total)}, indent=2))


if __name__ == "__main__":
    main()

"""The memory of grading jobs, sampled while they run (``benchmarks/class_scale.py``, ``benchmarks/grading.py``)."""
import contextlib
import os
import pathlib
import threading


class PeakMemory:
    """Samples, every ``interval`` seconds, the memory of each grading job's processes (an ``nbgrader autograde``
    with everything under it, the kernel included, or one judge) started by this process, and of the whole machine.

    A job's memory is the sum of its processes' proportional set sizes (PSS): a page that several processes
    share (the Python and TensorFlow libraries) counts once in all, not once in each, as a sum of their
    resident sizes would count it.
    """

    def __init__(self, interval=0.5):
        self.interval, self.job_peak, self.machine_peak = interval, 0, 0
        self.machine_start = _machine_in_use()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(self.interval):
            processes = _processes()
            children = _children(processes)
            mine = set(_tree(children, os.getpid()))  # not another user's grading on a shared machine
            for root in set(_job_roots(processes)) & mine:
                self.job_peak = max(self.job_peak, sum(map(_pss, _tree(children, root))))
            self.machine_peak = max(self.machine_peak, _machine_in_use() - self.machine_start)

    def figures(self):
        return {"peak_job_mb": round(self.job_peak / 2**20), "peak_machine_rise_mb": round(self.machine_peak / 2**20)}


def _processes():
    """{pid: (parent pid, command line)} of every process this user can read."""
    found = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parent = int(stat[stat.rindex(")") + 2:].split()[1])  # the name may hold spaces: read past it
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found[int(entry.name)] = (parent, command)
    return found


def _is_job(command):
    """A grading job's own process (``python -m autograder.job``), or one of those it starts: nbgrader's autograde
    and the judge (the reference's timing runs them from the worker itself)."""
    return ("-m autograder.job" in command or ("nbgrader" in command and " autograde " in command)
            or "autograder.verify" in command)


def _job_roots(processes):
    """The outermost process of each grading job: a job whose parent is not itself part of a job."""
    return [pid for pid, (parent, command) in processes.items()
            if _is_job(command) and not _is_job(processes.get(parent, (0, ""))[1])]


def _children(processes):
    """{pid: [its children's pids]}."""
    children = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    return children


def _tree(children, root):
    """``root`` and every process under it."""
    stack, found = [root], []
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _pss(pid):
    """Bytes of a process's proportional set size (0 when it is gone)."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        rollup = pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        return int(next(line for line in rollup if line.startswith("Pss:")).split()[1]) * 1024
    return 0


def _machine_in_use():
    """Bytes of memory in use on this machine: total less what the kernel says is available."""
    info = dict(line.split(":", 1) for line in pathlib.Path("/proc/meminfo").read_text().splitlines())
    return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) * 1024

"""Where the grading jobs run: worker threads on this machine, or a Dask cluster over several machines.

Both take jobs ``(student, files, template)`` and yield ``(student, result, error)`` as each one finishes,
in whatever order; exactly one of ``result`` and ``error`` is None. A job whose machinery failed is run
once more before it counts as an error. Only the caller writes the gradebook: one writer, whatever the
number of workers.

Why Dask (``distributed``) and not Ray: a grading job is a few Python calls around subprocesses, with a
few hundred kB in and out. Dask's scheduler and workers are two pure-Python commands
(``dask scheduler``, ``dask worker``) that install from PyPI into the same virtual environment,
reschedule the tasks of a worker that dies, and need no object store, dashboard or cluster manager.
"""
import concurrent.futures
import pathlib
import sys
import time

from autograder.job import grade_submission, stop_all

ATTEMPTS = 2  # a job is run again once when the machinery (not the notebook) failed


def worker_memory_gb(assignments):
    """The memory one worker needs to grade any of ``assignments``: the largest that they declare
    (``WORKER_MEMORY_GB`` in ``assignments/<name>/__init__.py``, each with where it was measured)."""
    return max(assignment.grading.WORKER_MEMORY_GB for assignment in assignments)


def auto_workers(cores, available_gb, per_worker_gb):
    """How many submissions to grade at once here: one per core, as many as the free memory holds (``per_worker_gb``
    each: ``worker_memory_gb``), at least one. Returns (workers, why)."""
    by_memory = int(available_gb // per_worker_gb)
    workers = max(1, min(cores, by_memory))
    why = f"{cores} cores, {available_gb:.1f} GB available, {per_worker_gb:g} GB per worker"
    if by_memory < 1:
        why += ": less memory than one worker needs, so one worker, which may run out of memory"
    return workers, why


def available_memory_gb(meminfo="/proc/meminfo", cgroup="/sys/fs/cgroup"):
    """The memory free for new work, in GB: the system's MemAvailable, or what the cgroup this runs in (a
    container's, whose limit /proc/meminfo does not show) still allows, whichever is less."""
    with open(meminfo) as f:
        free = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    room = _cgroup_room(pathlib.Path(cgroup))
    return min(free, room if room is not None else free) / 1e9


def _cgroup_room(cgroup):
    """The cgroup's memory limit less its use, in bytes (cgroup v2, else v1), or None when there is none to read.
    An unlimited cgroup reads "max" (v2) or a number far above the machine's memory (v1)."""
    versions = (("memory.max", "memory.current"), ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"))
    for limit, used in versions:
        try:
            text = (cgroup / limit).read_text().strip()
            if text == "max":
                return None
            return max(0, int(text) - int((cgroup / used).read_text()))
        except (OSError, ValueError):
            continue
    return None


def threads_per_job(cores, workers, jobs):
    """TensorFlow's threads in each grading job: the cores shared out among the jobs that run at once (a
    resubmission graded alone has them all)."""
    return max(1, cores // max(1, min(workers, jobs)))


def local(jobs, workers, **options):
    """Run the jobs on ``workers`` threads here; each job's work happens in its own processes."""

    def attempt(job):
        for n in range(ATTEMPTS):
            try:
                return grade_submission(*job, **options), None
            except Exception as err:  # noqa: BLE001 (any failure here is the machinery's; the student's are in the result)
                error = f"{type(err).__name__}: {err}"
        return None, f"{error} (after {ATTEMPTS} attempts)"

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(attempt, job): job[0] for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            yield (futures[future], *future.result())
    except BaseException:  # Ctrl-C or a failure of the caller: stop now; what was recorded stays recorded
        stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def dask(jobs, address, **options):
    """Run the jobs on the Dask cluster whose scheduler is at ``address`` (e.g. tcp://10.0.0.5:8786)."""
    from distributed import Client, as_completed

    with Client(address, timeout="60s") as client:
        futures = {client.submit(grade_submission, *job, **options, key=f"grade-{job[0]}-{time.time_ns()}",
                                 retries=ATTEMPTS - 1, pure=False): job[0] for job in jobs}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result(), None
            except Exception as err:  # noqa: BLE001 (a lost worker, too often: KilledWorker)
                yield futures[future], None, f"{type(err).__name__}: {err}"


class Progress:
    """One line on stderr: a bar, done and failed counts, and the time left at the pace so far."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.failed, self.stream = total, 0, 0, stream
        self.start = time.monotonic()
        self.live = stream.isatty()
        self.show()

    def update(self, failed=False):
        self.done += 1
        self.failed += int(failed)
        self.show()

    def show(self):
        width = 30
        filled = width * self.done // max(self.total, 1)
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done) if self.done else None
        eta = "--:--" if left is None else f"{int(left) // 60:02d}:{int(left) % 60:02d}"
        line = (f"grading [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} done, "
                f"{self.failed} failed, {int(elapsed) // 60:02d}:{int(elapsed) % 60:02d} elapsed, {eta} left")
        self.stream.write(("\r" + line) if self.live else line + "\n")
        if self.live and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()

"""Where a benchmark ran: the description of this machine that each benchmark's results record."""
import os
import pathlib
import platform


def describe(**details):
    """CPU, cores (all, and those this process may use), memory, then ``details``, then Python and platform."""
    return {
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "memory_gib": _memory_gib(),
        **details,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _proc_field(path, field):
    try:
        for line in pathlib.Path(path).read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _memory_gib():
    kib = _proc_field("/proc/meminfo", "MemTotal")
    return round(int(kib.split()[0]) / 2**20, 1) if kib else None

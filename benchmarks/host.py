"""What every benchmark shares: the description of the machine its results record, and writing them (JSON and Markdown)."""
import json
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


def save(result, out, markdown):
    """Write ``result`` to ``out`` (JSON) and ``markdown(result)`` beside it (.md); print the JSON."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(json.dumps(result, indent=2))

"""Synthetic data timings: generating the horse2zebra set into an empty cache, and loading it from the cache.

    flock /tmp/cpu.lock .venv/bin/python benchmarks/data.py

Every measurement runs in a fresh Python process (as a notebook's kernel or a grading worker meets the data):
``load_horse2zebra("synthetic")`` timed around the call alone, after the imports. "generate" starts from an
empty cache folder of its own and includes rendering all six splits (the four of horse2zebra and the two
shifted ones) and writing the cache; "load" reads that cache back and includes the fingerprint. Writes
``benchmarks/results/data.json`` (or --out) and a Markdown summary next to it.
"""
import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

from benchmarks import host

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "source" / "sec02"

# Run in the child process: prints {"seconds": ..., "images": ..., ...} as JSON.
CHILD = r"""
import json, time
import numpy as np
from cnnlab import data
from assignments.sec02 import shortcut
start = time.perf_counter()
loaded = data.load_horse2zebra("synthetic")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "fingerprint": loaded.fingerprint,
                  "splits": {name: len(split) for name, split in loaded.splits.items()},
                  "typical_background": {name: int(shortcut.typical_background(split).sum())
                                         for name, split in loaded.splits.items()},
                  "generator_version": data.GENERATOR_VERSION, "confounder": shortcut.CONFOUNDER,
                  "image_size": int(loaded["trainA"].images.shape[1])}))
"""


def main(argv=None):
    args = _parse(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    generate, load = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(args.repeats):
            cache = pathlib.Path(scratch) / f"cache{i}"  # empty: generated from scratch
            generate.append(_child(cache))
        for _ in range(args.repeats):  # the loads: from the first cache
            load.append(_child(pathlib.Path(scratch) / "cache0"))
    fingerprints = {run["fingerprint"] for run in generate + load}
    assert len(fingerprints) == 1, "the same seed gave different data"
    first = generate[0]
    result = {
        "date_utc": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "data": {
            "generator_version": first["generator_version"],
            "confounder": first["confounder"],
            "image_size": first["image_size"],
            "splits": first["splits"],
            "typical_background": first["typical_background"],
            "images": sum(first["splits"].values()),
            "fingerprint": first["fingerprint"],
        },
        "generate_uncached_s": [round(run["seconds"], 2) for run in generate],
        "generate_uncached_median_s": round(statistics.median(run["seconds"] for run in generate), 2),
        "load_cached_s": [round(run["seconds"], 2) for run in load],
        "load_cached_median_s": round(statistics.median(run["seconds"] for run in load), 2),
        "same_bytes_every_run": True,
    }
    out = pathlib.Path(args.out) if args.out else ROOT / "benchmarks" / "results" / "data.json"
    host.save(result, out, markdown)


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="JSON file to write (default: benchmarks/results/data.json)")
    parser.add_argument("--repeats", type=int, default=3, help="generations from an empty cache, and loads from it")
    return parser.parse_args(argv)


def _child(cache):
    env = dict(os.environ, CNNLAB_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ASSIGNMENT, env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- where it was measured --------------------------------------------------------------------

def machine():
    from cnnlab.train import library_versions

    return host.describe(versions=library_versions(("numpy", "scikit-image")))


def markdown(result):
    m, d = result["machine"], result["data"]
    splits = ", ".join(f"{name} {n}" for name, n in d["splits"].items())
    lines = [
        "# Synthetic data timings",
        "",
        f"Measured {result['date_utc']} on {m['cpu_model']} ({m['usable_cpus']} of {m['logical_cpus']} CPUs usable, "
        f"{m['memory_gib']} GiB), {', '.join(f'{k} {v}' for k, v in m['versions'].items())}, Python {m['python']}. "
        f"1-minute load average before/after: {result['load_average_before_after']}.",
        "",
        f"Generator version {d['generator_version']}, {d['images']} images of {d['image_size']} px ({splits}), "
        f"confounder {d['confounder']}; every run gave the same bytes (sha256 {d['fingerprint'][:16]}...).",
        "",
        "| `load_horse2zebra(\"synthetic\")`, in a fresh process | median seconds | all runs |",
        "|---|---|---|",
        f"| generate, empty cache (all six splits, includes writing the cache) | {result['generate_uncached_median_s']} "
        f"| {result['generate_uncached_s']} |",
        f"| load from the cache (includes the fingerprint) | {result['load_cached_median_s']} | {result['load_cached_s']} |",
        "",
    ]
    if max(result["load_average_before_after"]) > m["usable_cpus"]:
        lines += [f"The load average was above the {m['usable_cpus']} usable CPUs: other jobs shared the cores, and "
                  "these times are longer than on an idle machine.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""Benchmark: submissions too alike (``autograder/similarity.py``), found on the sample class and timed on a class
of 200.

    python -m benchmarks.similarity [--students 200]

1. The sample class's Section 2 (every student with a notebook, the planted copies ``nat`` and ``pia`` of ``ben``
   among them): the pairs reported, the planted pairs among them, the others.
2. A class of ``--students``: the sample class's own code, student after student, over again until there are as many
   (so most pairs are copies of one another: every pair is compared and many are reported, the most work the step
   can have). The seconds to normalise and fingerprint the code and compare every pair, on this machine.

Writes benchmarks/results/similarity.{json,md}.
"""
import argparse
import datetime
import itertools
import json
import math
import os
import pathlib
import platform
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PLANTED = {("ben", "nat"), ("ben", "pia"), ("nat", "pia")}  # sample_class: nat and pia copied from ben


def sample_codes():
    """{student: own code} of the sample class's Section 2."""
    import nbformat

    import sample_class
    from autograder import catalogue, similarity
    from tools.build import solution_cells

    sec02 = catalogue.get("sec02")
    references = solution_cells(sec02.source)
    return {s.id: similarity.own_code(json.loads(nbformat.writes(sample_class.fill(s, references=references))), sec02)
            for s in sample_class.CLASS if s.raw is None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args(argv)
    from autograder import catalogue, similarity

    sec02 = catalogue.get("sec02")
    codes, shared = sample_codes(), similarity.boilerplate(sec02)
    found = {pair.students for pair in similarity.alike(codes, shared)}

    cycled = itertools.cycle(codes.values())
    big = {f"s{i:03d}": next(cycled) for i in range(args.students)}
    start = time.perf_counter()
    reported = similarity.alike(big, shared)
    seconds = time.perf_counter() - start

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()},
              "sample_class": {"students": len(codes), "reported": sorted(map(list, found)),
                               "planted_found": len(found & PLANTED), "planted": len(PLANTED),
                               "others_reported": len(found - PLANTED)},
              "large_class": {"students": args.students, "pairs": math.comb(args.students, 2),
                              "reported": len(reported), "seconds": round(seconds, 2)}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "similarity.json").write_text(json.dumps(result, indent=2) + "\n")
    sample, large = result["sample_class"], result["large_class"]
    (RESULTS / "similarity.md").write_text(f"""# Submissions too alike (benchmarks/similarity.py)

{result['date']}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}.

| | |
|---|---|
| sample class (Section 2) | {sample['students']} students with a notebook |
| planted pairs found | {sample['planted_found']} of {sample['planted']} |
| other pairs reported | {sample['others_reported']} |
| class of {large['students']} | {large['pairs']} pairs, {large['reported']} reported |
| its time (normalise, fingerprint, compare every pair) | {large['seconds']} s |
""")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

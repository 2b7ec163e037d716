"""The benchmarks' own parts: the class-scale cost model's fit, the memory sampler and the Dask cluster it starts,
and the warm-up kernel's report."""
import json
import subprocess
import sys

import pytest

from benchmarks import class_scale, memory, warmup_kernel


def _run(submissions, workers, wall_s, cluster="local"):
    return dict(name="a class", submissions=submissions, workers=workers, cluster=cluster, wall_s=wall_s, as_expected=0)


def test_the_cost_model_recovers_setup_and_per_submission_cost_and_checks_the_unfitted_cluster_run():
    truth = lambda n, w: 40 + n * 30 / w  # noqa: E731 (setup 40 s, 30 s per submission)
    runs = [_run(29, 1, truth(29, 1)), _run(29, 2, truth(29, 2)), _run(60, 2, truth(60, 2)),
            _run(60, 2, truth(60, 2) * 1.1, cluster="dask")]  # the cluster, 10% slower, is not fitted
    model = class_scale.cost_model({"runs": runs, "cores": 2})
    assert model["setup_s"] == pytest.approx(40) and model["per_submission_s"] == pytest.approx(30)
    *fitted, cluster = model["errors"]
    assert fitted == pytest.approx([0, 0, 0], abs=1e-9) and cluster == pytest.approx(1 / 1.1 - 1)
    assert model["class_200_s"] == pytest.approx({str(k): 40 + 200 * 30 / (2 * k) for k in class_scale.MACHINES})


def test_two_local_runs_are_too_few_for_a_model_with_an_error():
    runs = [_run(26, 1, 1381), _run(26, 2, 750)]
    assert class_scale.cost_model({"runs": runs, "cores": 2}) is None


def test_the_sampler_counts_a_grading_jobs_whole_process_tree():
    # A stand-in job: a process named like `nbgrader autograde` whose child (its "kernel") holds 300 MB.
    child = "import time; x = bytearray(300 * 2**20); time.sleep(4)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    with memory.PeakMemory(interval=0.2) as sampled:
        job = subprocess.Popen([sys.executable, "-c", parent, "nbgrader", "autograde", "sec02"])
        job.wait(timeout=60)
    assert sampled.figures()["peak_job_mb"] >= 300


def test_the_sampler_counts_a_page_that_processes_share_once():
    # A stand-in job that holds 300 MB and forks: the child shares those pages (a fork bomb's children do the same).
    # Its resident sizes summed would say 600 MB; the pages in memory are 300 MB.
    job_code = ("import os, time; x = b\"1\" * (300 * 2**20); pid = os.fork(); time.sleep(4); "
                "pid and os.waitpid(pid, 0)")
    with memory.PeakMemory(interval=0.2) as sampled:
        job = subprocess.Popen([sys.executable, "-c", job_code, "nbgrader", "autograde", "sec02"])
        job.wait(timeout=60)
    assert 300 <= sampled.figures()["peak_job_mb"] < 450, sampled.figures()


def test_the_dask_cluster_starts_its_workers_by_their_own_commands(tmp_path):
    from distributed import Client

    with class_scale.dask_cluster(tmp_path, 2) as address, Client(address) as client:
        assert len(client.scheduler_info()["workers"]) == 2


def test_the_warm_up_kernels_report_shows_its_measured_figures():
    result = json.loads((warmup_kernel.RESULTS / "warmup_kernel.json").read_text())
    assert (warmup_kernel.RESULTS / "warmup_kernel.md").read_text() == warmup_kernel.markdown(result), (
        "run: python benchmarks/warmup_kernel.py")
    checks = result["hidden_checks"]
    assert all(run["tensorflow"] for run in checks["base"]) and not any(run["tensorflow"] for run in checks["today"])

"""Each cell's time limit (autograder/budgets.py) and how many workers `--workers auto` chooses: fast, no kernel."""
import json
import types

import pytest

from autograder import budgets, workers
from autograder import catalogue
from autograder.grade import _workers
from autograder.gradebook import comments
from autograder.results import Kind, Note, Outcome

SEC02 = catalogue.get("sec02")  # the sample class's assignment
EXERCISES = SEC02.exercises
SOLUTION_CELL = SEC02.solution_cell


def _cell(source="x = 1", grade_id=None, cell_id="c1", outputs=(), execution=None):
    metadata = {"nbgrader": {"grade_id": grade_id}} if grade_id else {}
    if execution:
        metadata["execution"] = execution
    return {"cell_type": "code", "id": cell_id, "source": source, "metadata": metadata, "outputs": list(outputs)}


TIMED_OUT = {"output_type": "error", "ename": budgets.TIMEOUT_ERROR, "evalue": "", "traceback": []}


def test_a_cells_limit_is_ten_times_the_references_and_never_under_the_floor():
    assert budgets.budget(0.0) == budgets.FLOOR == 20
    assert budgets.budget(1.9) == 20
    assert budgets.budget(4.39) == 44
    assert budgets.budget(8.18) == 82


def test_cells_are_known_by_grade_id_then_cell_id_and_an_added_cell_gets_the_slowest_cells_limit():
    limits = budgets.table({"test_gradcam": 0.71, "63a0a377": 8.18})
    assert budgets.limit(limits, _cell(grade_id="test_gradcam", cell_id="random-id")) == 20
    assert budgets.limit(limits, _cell(cell_id="63a0a377")) == 82
    assert budgets.limit(limits, _cell(cell_id="mo-12")) == 82


def test_an_added_cells_limit_is_the_references_slowest_cells_and_never_under_the_floor():
    assert budgets.added_limit({"test_gradcam": 0.71, "smoothgrad_figures": 4.5, "imports": 3.1}) == 45
    assert budgets.added_limit({"test_conv2d": 0.4, "imports": 1.9}) == budgets.FLOOR
    assert budgets.added_limit({}) == budgets.FLOOR


def test_timeout_func_reads_the_table_the_batch_wrote(tmp_path):
    path = tmp_path / "limits.json"
    path.write_text(json.dumps(budgets.table({"test_gradcam": 3.0})))
    timeout = budgets.timeout_func(path)
    assert timeout(_cell(grade_id="test_gradcam")) == 30 and timeout(_cell(cell_id="new")) == 30


def test_cell_times_come_from_nbclients_timestamps():
    nb = {"cells": [_cell(cell_id="a", execution={"iopub.execute_input": "2026-11-30T21:00:00.000000Z",
                                                  "shell.execute_reply": "2026-11-30T21:00:02.500000Z"}),
                    _cell(cell_id="b")]}
    assert budgets.cell_times(nb) == {"a": 2.5}


def test_a_stopped_cell_is_named_with_its_limit_and_the_references_time():
    limits = budgets.table({"test_gradcam": 0.71, "smoothgrad_figures": 4.5})
    nb = {"cells": [_cell("while True:\n    pass", cell_id="mo-12", outputs=[TIMED_OUT]),
                    _cell(grade_id="test_gradcam", outputs=[TIMED_OUT]),
                    _cell(grade_id="test_conv_output_size")]}
    (added, loop), (exercise, test) = budgets.stopped(nb, limits)
    assert added is None and "the cell that starts 'while True:' was stopped after 45 s" in loop
    assert "does not have gets 45 s, the limit of its slowest cell" in loop
    assert exercise == "gradcam" and "the cell test_gradcam was stopped after 20 s" in test
    assert "took 0.7 s" in test and "at least 20 s" in test


@pytest.mark.parametrize("cores, gb, chosen", [(2, 21.3, 2), (16, 8.0, 3), (4, 1.0, 1), (1, 64.0, 1)])
def test_auto_workers_takes_the_fewer_of_cores_and_what_memory_holds(cores, gb, chosen):
    count, why = workers.auto_workers(cores, gb, per_worker_gb=2.2)
    assert count == chosen
    assert why.startswith(f"{cores} cores, {gb:.1f} GB available, 2.2 GB per worker")
    assert ("may run out of memory" in why) == (gb < 2.2)


# (cores, workers, jobs, threads): the cores shared out among the jobs that run at once, one at least each
@pytest.mark.parametrize("cores, count, jobs, threads", [(2, 2, 19, 1), (2, 2, 1, 2), (16, 3, 40, 5), (2, 4, 8, 1),
                                                         (8, 1, 5, 8)])
def test_a_job_runs_tensorflow_on_its_share_of_the_cores(cores, count, jobs, threads):
    assert workers.threads_per_job(cores, count, jobs) == threads


def _declaring(gb):
    """An assignment whose package declares that one worker needs ``gb``."""
    return types.SimpleNamespace(grading=types.SimpleNamespace(WORKER_MEMORY_GB=gb))


def test_a_worker_gets_the_memory_of_the_most_demanding_assignment_it_grades():
    assert workers.worker_memory_gb([_declaring(0.5), _declaring(2.2)]) == 2.2
    assert workers.worker_memory_gb([_declaring(2.2), _declaring(0.5)]) == 2.2
    # Section 2's own measurement, which --workers auto has always used, also when the course's both are graded
    every = [catalogue.get(name) for name in catalogue.names()]
    assert workers.worker_memory_gb([SEC02]) == workers.worker_memory_gb(every) == 1.4


def test_available_memory_is_the_lesser_of_the_system_and_the_cgroup(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       32000000 kB\nMemAvailable:   20000000 kB\n")
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "memory.max").write_text("max\n")
    assert workers.available_memory_gb(meminfo, v2) == pytest.approx(20.48)
    (v2 / "memory.max").write_text(f"{8 * 10**9}\n")
    (v2 / "memory.current").write_text(f"{2 * 10**9}\n")
    assert workers.available_memory_gb(meminfo, v2) == pytest.approx(6.0)
    v1 = tmp_path / "v1" / "memory"
    v1.mkdir(parents=True)
    (v1 / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1's "no limit"
    (v1 / "memory.usage_in_bytes").write_text(f"{10**9}\n")
    assert workers.available_memory_gb(meminfo, tmp_path / "v1") == pytest.approx(20.48)
    assert workers.available_memory_gb(meminfo, tmp_path / "none") == pytest.approx(20.48)


def test_workers_option_takes_a_number_or_auto():
    assert _workers("auto") == "auto" and _workers("3") == 3
    for bad in ("0", "-1", "many"):
        with pytest.raises(Exception):
            _workers(bad)


def test_formgrader_shows_a_stopped_cell_with_its_exercise_or_else_in_the_first_comment_box():
    exercises = {name: Outcome(False, 0.0, "") for name in EXERCISES}
    loop = Note(Kind.STOPPED, "the cell that starts 'while True:' was stopped after 30 s, its time limit: ...")
    stalled = Note(Kind.STOPPED, "the cell test_gradcam was stopped after 20 s, its time limit: ...", "gradcam")
    boxes = comments(SEC02, exercises, [loop, stalled])
    loop, stalled = str(loop), str(stalled)
    first = SOLUTION_CELL[next(iter(EXERCISES))]
    assert f"Review: {loop}" in boxes[first] and f"Review: {stalled}" in boxes[SOLUTION_CELL["gradcam"]]
    assert sum(loop in text for text in boxes.values()) == 1 and stalled not in boxes[first]

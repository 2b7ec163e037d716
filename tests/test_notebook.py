"""The instructor notebook passes nbgrader's own validation; the blank release fails every test cell; the
numbers its model answers quote are the ones it computes.

``nbgrader validate`` executes the notebook in a real kernel and fails on any error, or any stderr
output, in a graded cell; ``--invert`` passes only if every test cell fails on the blank release. It runs
from the course root, as a TA runs it, so that it reads the course's nbgrader_config.py (the cell time
limit); its hidden test cells judge in the kernel, against the reference answers computed once beforehand.
Section 2's notebook is executed once: the checks of what it prints read the notebook that its validation ran.
"""
import json
import re
import subprocess
import sys

import pytest

from autograder import catalogue
from autograder.environment import environment, run_nbgrader
from tests.conftest import ROOT

SOURCE = ROOT / "source" / "sec02" / "sec02.ipynb"

# ``nbgrader validate NOTEBOOK KEEP``: nbgrader's own command (as run_nbgrader runs it), which also writes the
# notebook it executed to KEEP. Validator._preprocess is where nbgrader 0.9 executes the notebook before it checks it.
VALIDATE_KEEPING = """
import runpy, sys
sys.modules["rfc3987_syntax"] = None  # as autograder.environment.NBGRADER: a format no notebook uses
import nbformat
from nbgrader.validator import Validator

keep, preprocess = sys.argv.pop(), Validator._preprocess

def _preprocess(self, nb):
    nb = preprocess(self, nb)
    nbformat.write(nb, keep)
    return nb

Validator._preprocess = _preprocess
sys.argv = ["nbgrader", *sys.argv[1:]]
runpy.run_module("nbgrader", run_name="__main__", alter_sys=True)
"""


def _validate(notebook, *flags):
    return run_nbgrader("validate", str(notebook), *flags, cwd=ROOT, timeout=900)


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """validated(name): (``nbgrader validate``'s result on the instructor notebook, the notebook it executed),
    once per assignment in this module."""
    import nbformat
    from autograder import references

    runs = {}

    def run(name):
        if name not in runs:
            assignment = catalogue.get(name)
            references.compute_all(assignment)
            kept = tmp_path_factory.mktemp("validated") / assignment.notebook
            result = subprocess.run([sys.executable, "-c", VALIDATE_KEEPING, "validate", str(assignment.source),
                                     str(kept)], cwd=ROOT, env=environment(), capture_output=True, text=True,
                                    timeout=900)
            runs[name] = result, (nbformat.read(kept, as_version=4) if kept.exists() else None)
        return runs[name]

    return run


@pytest.mark.parametrize("name", catalogue.names())
def test_source_notebook_validates(name, validated):
    result, _ = validated(name)
    assert result.returncode == 0 and "Success! Your notebook passes all the tests." in result.stdout, (
        result.stdout[-3000:] + result.stderr[-3000:])


@pytest.mark.parametrize("name", catalogue.names())
def test_blank_release_fails_every_test(name):
    result = _validate(ROOT / "release" / name / f"{name}.ipynb", "--invert")
    assert result.returncode == 0 and "Success! The notebook does not pass any tests." in result.stdout, (
        result.stdout[-3000:] + result.stderr[-3000:])


@pytest.fixture(scope="module")
def executed(validated):
    """The instructor notebook run top to bottom by a real kernel (its validation's run), with its outputs; no
    cell of it ended in an error, graded or not."""
    result, nb = validated("sec02")
    assert nb is not None, result.stdout[-3000:] + result.stderr[-3000:]
    errors = [(i, o.ename) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors
    return nb


def _printed(nb, marker):
    """What the code cells whose source holds ``marker`` printed."""
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code" and marker in cell.source
                   for output in cell.outputs if output.output_type == "stream")


def test_the_model_answer_quotes_the_numbers_the_notebook_computes(executed):
    computed = _printed(executed, "accuracy(model, split)") + _printed(executed, "pointing.pointing_table(")
    answer = next(cell.source for cell in executed.cells
                  if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_saliency")
    quoted = re.findall(r"\b\d\.\d{2,3}\b", answer)
    assert len(quoted) >= 8, f"the model answer quotes too few numbers: {quoted}"
    missing = [number for number in quoted if not re.search(rf"\b{re.escape(number)}\b", computed)]
    assert not missing, f"quoted but not computed: {missing}\ncomputed:\n{computed}"


def test_the_notebook_shows_the_accuracies_its_models_record(executed):
    printed = _printed(executed, "accuracy(model, split)")
    for model in ("cnn1", "cnn2"):
        record = json.loads((SOURCE.parent / "instructor" / f"{model}.provenance.json").read_text())
        assert (f"{model}: accuracy {record['test_accuracy']:.3f} on test, "
                f"accuracy {record['shifted_accuracy']:.3f} on shifted") in printed, printed


def _answer(nb, grade_id):
    return next(cell.source for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_the_feature_map_answer_describes_the_images_shown(executed):
    import keras
    import numpy as np
    from cnnlab import pointing
    from cnnlab.data import load_horse2zebra

    shown = re.search(r"zebra: trainB\[(\d+)\], horse: trainA\[(\d+)\]", _printed(executed, "pick_by_coat("))
    assert shown, "the notebook says which images it shows"
    data = load_horse2zebra("synthetic")
    zebra_split, horse_split = data["trainB"], data["trainA"]
    zebra, horse = int(shown[1]), int(shown[2])
    conv1 = keras.models.load_model(SOURCE.parent / "data" / "cnn1.keras").get_layer("conv1")
    edges = {name: pointing.coat_contrast(np.asarray(conv1(split.images[i][None]))[0], split.masks[i])
             for name, split, i in (("zebra", zebra_split, zebra), ("horse", horse_split, horse))}
    plain = [pointing.coat_contrast(image, mask) for image, mask in zip(horse_split.images[:100], horse_split.masks[:100])]
    answer = _answer(executed, "answer_fmaps")
    assert "plain coat" in answer and "along every stripe" in answer
    # "plain coat": the horse's coat changes less than most horses'; "a flat region" against "along every stripe":
    # inside the animal, conv1's maps change several times more on the zebra than on the horse.
    assert pointing.coat_contrast(horse_split.images[horse], horse_split.masks[horse]) < np.percentile(plain, 25)
    assert edges["zebra"] > 3 * edges["horse"], edges


def test_the_rotation_answer_explains_what_the_notebook_prints(executed):
    printed = _printed(executed, "np.rot90(")
    accuracy = {int(turn): float(value) for turn, value in re.findall(r"rotated by\s+(\d+) degrees: accuracy (\d\.\d+)", printed)}
    assert sorted(accuracy) == [0, 90, 180], printed
    answer = _answer(executed, "answer_rotation")
    # The answer's claims: a large drop at 90 degrees, none at 180.
    assert accuracy[90] < accuracy[0] - 0.1 and abs(accuracy[180] - accuracy[0]) <= 0.02, accuracy
    assert "180 degrees" in answer and "upside down" in answer
    quoted = re.findall(r"\b\d\.\d{3}\b", answer)
    assert sorted(quoted) == sorted(f"{value:.3f}" for value in accuracy.values()), (quoted, printed)


def test_the_saliency_answer_says_what_the_ratios_say(executed):
    printed = _printed(executed, "pointing.pointing_table(")
    line = next(line for line in printed.splitlines() if line.startswith("test: on the animal"))
    ratios = [float(value) for value in re.findall(r"(\d+\.\d\d) times", line)]
    assert len(ratios) == 3, line
    answer = _answer(executed, "answer_saliency")
    assert f"{min(ratios):.1f} to {max(ratios):.1f} times" in answer, (ratios, answer)
    assert "barely" not in answer
    # "on average three quarters or more of each kind of map lies off the animal" (on the test images)
    header = printed.splitlines().index(next(l for l in printed.splitlines() if l.split() == ["test", "shifted"]))
    rows = [line for line in printed.splitlines()[header + 2:header + 5]]
    shares = [float(line.split()[-2]) for line in rows]
    assert "three quarters or more" in answer and len(shares) == 3 and max(shares) <= 0.25, rows


def test_the_dilated_convolutions_measure_what_the_formula_says(executed):
    printed = _printed(executed, "measured_receptive_field(")
    found = re.findall(r"output (\d+) x \d+, receptive field measured (\d+), by receptive_field (\d+)", printed)
    assert len(found) == 2, printed
    for side, measured, formula in found:
        assert measured == formula and int(side) == 64 - int(measured) + 1, printed


def test_the_two_logits_gradients_are_nearly_opposite_as_the_text_says(executed):
    printed = _printed(executed, "maps.cosine(")
    cosines = [float(value) for value in re.findall(r"cosine of the two logits' gradients (-?\d\.\d+)", printed)]
    text = next(cell.source for cell in executed.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "signed_md")
    assert "nearly opposite" in text and "look alike" in text
    assert len(cosines) == 2 and max(cosines) <= -0.9, printed


def test_the_signed_maps_words_say_what_their_numbers_show(executed):
    """The gradient's sign is what brightening would do; gradient x input is what the pixel as it is counts for. The
    text says the two disagree on the test zebra's animal: most of its gradient blue, its gradient x input
    towards zebra. The pictures are those maps (maps.signed_difference), titled with what their sign means."""
    cell = next(cell for cell in executed.cells if "maps.negative_share(" in cell.source)
    printed = _printed(executed, "maps.negative_share(")
    zebra = re.search(r"test zebra: .*\n  on the animal: (\d+)% of the gradient's mass is blue \(towards horse\); "
                      r"gradient x input sums to ([-+]\d+\.\d) \(towards (zebra|horse)\)", printed)
    assert zebra, printed
    blue, total, towards = int(zebra[1]), float(zebra[2]), zebra[3]
    text = " ".join(_answer(executed, "signed_md").split())
    assert "on the test zebra below, most of the gradient on the animal is blue" in text
    assert "gradient × input on the animal sums towards zebra" in text
    assert blue > 50 and total > 0 and towards == "zebra", printed
    assert "brightening pushes to" in cell.source and "gradient x input, towards" in cell.source


def test_the_shifted_images_are_shown_with_both_models_predictions_before_the_question(executed):
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in executed.cells]
    shown = [i for i, cell in enumerate(executed.cells)
             if cell.cell_type == "code" and "plots.show_predictions(" in cell.source]
    assert shown and shown[0] < ids.index("answer_saliency")
    cell = executed.cells[shown[0]]
    assert '"cnn1": cnn1' in cell.source and '"cnn2": cnn2' in cell.source and "test_sets" in cell.source


def test_the_sanity_check_answer_quotes_the_correlations_printed(executed):
    """instructor/answers.md quotes each correlation the randomisation cell prints, in its order."""
    printed = _printed(executed, "randomised_copies(")
    correlations = re.findall(r"correlation with the trained map (-?\d\.\d\d)", printed)
    answers = (SOURCE.parent / "instructor" / "answers.md").read_text()
    sanity = " ".join(answers[answers.index("## The sanity check"):].split())
    assert len(correlations) == 4 and re.findall(r"\b\d\.\d\d\b", sanity) == correlations, (correlations, sanity)


def test_breakout_1b_shows_the_channels_the_students_function_finds(executed):
    printed = _printed(executed, "most_different_channels(cnn1")
    assert re.search(r"differ most between the zebra and the horse: \[\d+, \d+, \d+\]", printed), printed

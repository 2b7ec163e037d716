"""What the README says about the shipped models is what their records say, and the student release does not
state what the section asks students to find. No kernel, no training: seconds."""
import json
import re

import pytest

from tests.conftest import ASSIGNMENT, ROOT

DATA = ASSIGNMENT / "instructor"  # the models' full records; the release's (data/) leave out the shifted splits
RELEASE = ROOT / "release" / "sec02"
README = (ROOT / "README.md").read_text()


def _record(model):
    return json.loads((DATA / f"{model}.provenance.json").read_text())


@pytest.mark.parametrize("model", ["cnn1", "cnn2"])
def test_the_readme_table_is_the_provenance(model):
    row = next(line for line in README.splitlines() if line.startswith(f"| {model} |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    record = _record(model)
    early = ", early stop" if record["epochs_run"] < record["epochs_requested"] else ""
    assert cells[1:] == [f"{record['test_accuracy']:.3f} ({record['test_correct']})",
                         f"{record['shifted_accuracy']:.3f} ({record['shifted_correct']})",
                         f"{record['epochs_run']} (best {record['best_epoch']}{early})",
                         f"{record['train_seconds']} s"], row


def test_the_readme_says_where_the_models_were_trained():
    records = [_record(model) for model in ("cnn1", "cnn2")]
    for record in records:
        assert record["device"].removeprefix("GPU: ") in README and f"--seed {record['seed']}" in record["command"]
        assert f"{record['keras_backend'].upper()} {record['versions'][record['keras_backend']]}" in README
        assert f"Keras {record['versions']['keras']}" in README


def test_the_readme_quotes_the_spread_over_seeds():
    from cnnlab.evaluate import seed_spread

    for model, spread in seed_spread(DATA / "other-seeds.jsonl").items():
        (test_low, test_high), (shifted_low, shifted_high) = spread["test"], spread["shifted"]
        quoted = (f"{model} test {test_low:.3f} to {test_high:.3f}, shifted {shifted_low:.3f} to {shifted_high:.3f}")
        assert quoted in " ".join(README.split()), quoted
    shipped = _record("cnn2")["shifted_accuracy"]
    assert shipped < seed_spread(DATA / "other-seeds.jsonl")["cnn2"]["shifted"][0], "the README says cnn2 is lowest"


def test_the_seed_spread_reads_every_training():
    from cnnlab.evaluate import seed_spread

    lines = [json.loads(line) for line in (DATA / "other-seeds.jsonl").read_text().splitlines() if line.strip()]
    spread = seed_spread(DATA / "other-seeds.jsonl")
    assert sorted(spread) == ["cnn1", "cnn2"]
    for model, entry in spread.items():
        runs = [run for run in lines if run["model"] == model]
        assert entry["seeds"] == sorted(run["seed"] for run in runs) and 109 not in entry["seeds"]
        assert entry["shifted"] == (min(r["shifted_accuracy"] for r in runs), max(r["shifted_accuracy"] for r in runs))


# --- the release states none of the answers ------------------------------------------------------------------------
# Each phrase once said, in the release, what a question asks students to find.
SPOILERS = [
    "zebras on grass",                 # the confounder, in data.py's docstring and a comment
    "horses on gravel",
    "shortcut to find",
    "confounder reversed",             # evaluate.py and train.py's docstrings
    "background confounded",
    "reverses the confounder",
    "a symbolic tensor, not a layer",  # the GradientTape bonus printed its own answer
    "nobody reads",
    "its gradient vanishes",           # section 5 answered the bonus's question
    "at the background, at something else",  # the saliency question named the answer as an option
    "few big squares",                 # Breakout 1A told the order
    "sees a few pixels",
]


def _release_texts():
    nb = json.loads((RELEASE / "sec02.ipynb").read_text())
    yield "sec02.ipynb", "\n".join("".join(cell["source"]) for cell in nb["cells"])
    for path in sorted((RELEASE / "cnnlab").glob("*.py")):
        yield path.name, path.read_text()


@pytest.mark.parametrize("phrase", SPOILERS)
def test_the_release_does_not_state_the_answer(phrase):
    found = [name for name, text in _release_texts() if phrase.lower() in " ".join(text.lower().split())]
    assert not found, f"{phrase!r} in {found}"


def test_the_provenance_note_leaves_the_shifted_accuracy_to_the_students():
    from cnnlab.evaluate import provenance_note

    class Data:  # what provenance_note reads of the data
        fingerprint, source = _record("cnn2")["data_sha256"], "synthetic"

    note = provenance_note(DATA / "cnn2.provenance.json", Data())
    record = _record("cnn2")
    assert f"{record['test_accuracy']:.3f}" in note and record["device"] in note
    assert "shifted" not in note and "confounder" not in note and f"{record['shifted_accuracy']:.3f}" not in note
    assert re.search(r"These are the images it was trained on", note)


# --- what the notebook says about what its cells show ----------------------------------------------------------------

def _notebook_cell(grade_id):
    nb = json.loads((ASSIGNMENT / "sec02.ipynb").read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    return " ".join("".join(cell["source"]).split())


def test_the_conv1_channels_are_mostly_zero_as_the_text_says():
    """transpose_md: on the zebra and the horse the notebook picks, 4 and 6 of conv1's 16 channels are zero on more
    than 90% of the pixels (none is zero everywhere)."""
    import cnnlab  # noqa: F401  (TensorFlow's environment first)
    import keras
    import numpy as np
    from cnnlab import pointing
    from cnnlab.data import load_horse2zebra

    data = load_horse2zebra("synthetic")
    cnn1 = keras.models.load_model(ASSIGNMENT / "data" / "cnn1.keras")
    conv1 = keras.Model(cnn1.inputs, cnn1.get_layer("conv1").output)
    counts = []
    for split, plainest in (("trainB", False), ("trainA", True)):
        image = data[split].image(pointing.pick_by_coat(data[split], plainest=plainest))
        zero = np.asarray(conv1(image[np.newaxis]))[0] == 0
        counts.append(int(np.sum(zero.mean(axis=(0, 1)) > 0.9)))
        assert not zero.all(axis=(0, 1)).any()
    text = _notebook_cell("transpose_md")
    assert (f"many of `conv1`'s 16 channels are zero on most of a given image (on the zebra and the horse above, "
            f"{counts[0]} and {counts[1]} of them on more than 90% of the pixels)") in text, counts
    assert "zero everywhere" not in text


# Author-year citations as the notebook writes them: "Zhu et al., 2017", "Simonyan, Vedaldi and Zisserman, 2014",
# "Ribeiro, Singh and Guestrin ("Why should I trust you?", 2016)", "He et al., *Deep residual learning...*, 2016".
CITATION = re.compile(r"\b([A-Z][a-zA-Z]+)(?: et al\.|(?:, [A-Z][a-z]+)*(?: and [A-Z][a-z]+))?,? "
                      r"(?:\(|\(\"[^\"]*\", |\"[^\"]*\", |\*[^*]*\*, )?((?:18|19|20)\d\d)\b")


def test_every_cited_work_is_in_the_reference_list_with_a_link():
    nb = json.loads((ASSIGNMENT / "sec02.ipynb").read_text())
    references = _notebook_cell("references_md")
    entries = [entry for entry in re.split(r" \* ", references)[1:]]
    assert entries and all(re.search(r"<https?://[^ >]+>", entry) for entry in entries), entries
    cited = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and cell["metadata"].get("nbgrader", {}).get("grade_id") != "references_md":
            cited |= set(CITATION.findall(" ".join("".join(cell["source"]).split())))
    assert len(cited) >= 12, cited
    missing = [(name, year) for name, year in sorted(cited)
               if not any(name in entry and f"({year})" in entry for entry in entries)]
    assert not missing, missing


def test_the_blank_strip_is_what_the_answer_computes():
    """instructor/answers.md: no neuron of conv5 sees input pixels 116 to 127, so cnn2's gradient is zero there."""
    import cnnlab  # noqa: F401  (TensorFlow's environment first)
    import keras
    import numpy as np
    from cnnlab import maps
    from cnnlab.data import load_horse2zebra

    from solutions.sec02 import conv_output_size, receptive_field

    layers = [(2, 1, 1), (3, 2, 1), (3, 2, 1), (2, 2, 1), (2, 2, 1)]  # cnn1_layers, as the notebook gives them
    n = 128
    for kernel, stride, _ in layers[1:]:
        n = conv_output_size(n, kernel, stride=stride)
    jump = int(np.prod([stride for _, stride, _ in layers]))
    last = (n - 1) * jump + receptive_field(layers) - 1
    cnn2 = keras.models.load_model(ASSIGNMENT / "data" / "cnn2.keras")
    signed = maps.signed_difference(cnn2, load_horse2zebra("synthetic")["testB"].image(0), scaled=False)
    blank = np.flatnonzero(np.all(signed == 0, axis=0))
    assert list(blank) == list(range(last + 1, 128)) == list(np.flatnonzero(np.all(signed == 0, axis=1)))
    answers = " ".join((ASSIGNMENT / "instructor" / "answers.md").read_text().split())
    assert f"| conv5 | {n} | {(n - 1) * jump} to {last} | {last + 1} to 127: {127 - last} pixels |" in answers

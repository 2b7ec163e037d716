"""The notebook's figures are what tools/make_figures.py made, and give nothing away (no retraining here)."""
import hashlib
import itertools
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT
from tools import make_figures as mf

FIGURES = json.loads(mf.FIGURES_JSON.read_text())
EXPECTED_PNGS = {"receptive_field.png", "filters_A.png", "filters_B.png", "filters_C.png"}


# --- ice-breaker geometry ------------------------------------------------------------------------

def brute_force_field(input_size, convs):
    """Layer-1 neurons that reach the top layer's neuron (0, 0), by pushing a one-hot input through
    all-ones "valid" convolutions: independent of the range arithmetic in make_figures."""
    def conv(x, kernel, stride):
        n = (x.shape[0] - kernel) // stride + 1
        return np.array([[x[r * stride:r * stride + kernel, c * stride:c * stride + kernel].sum()
                          for c in range(n)] for r in range(n)])

    field = np.zeros((input_size, input_size), dtype=bool)
    for r, c in itertools.product(range(input_size), repeat=2):
        x = np.zeros((input_size, input_size))
        x[r, c] = 1
        for kernel, stride in convs:
            x = conv(x, kernel, stride)
        field[r, c] = x[0, 0] > 0
    return field


def as_mask(region, size):
    mask = np.zeros((size, size), dtype=bool)
    mask[region.rows[0]:region.rows[1] + 1, region.cols[0]:region.cols[1] + 1] = True
    return mask


def inside(small, large, size):
    return not (as_mask(small, size) & ~as_mask(large, size)).any()


def test_layer_sizes_follow_the_convolutions():
    assert mf.layer_sizes() == [7, 3, 2]


def test_marked_squares_are_5x5_3x3_and_2x2():
    regions = mf.ice_breaker_regions()
    assert (regions["purple neuron"].layer, regions["purple neuron"].shape) == (3, (1, 1))
    assert (regions["purple square"].layer, regions["purple square"].shape) == (2, (2, 2))
    assert (regions["red square"].layer, regions["red square"].shape) == (1, (3, 3))
    assert (regions["blue square"].layer, regions["blue square"].shape) == (1, (5, 5))


def test_marked_squares_are_consistent_with_each_other():
    regions = mf.ice_breaker_regions()
    purple, blue, red = regions["purple square"], regions["blue square"], regions["red square"]
    assert mf.read_by(regions["purple neuron"]) == purple
    assert mf.read_by(purple) == blue == mf.receptive_field(regions["purple neuron"])
    # The red square is what one of the purple square's neurons reads, inside the blue square,
    # and the blue square is exactly what the purple square's four neurons read together.
    red_neuron = regions["red neuron"]
    assert red_neuron.layer == 2 and red_neuron.shape == (1, 1)
    assert inside(red_neuron, purple, mf.layer_sizes()[1])
    assert red == mf.read_by(red_neuron)
    size = mf.INPUT_SIZE
    assert inside(red, blue, size)
    union = np.zeros((size, size), dtype=bool)
    rows, cols = range(purple.rows[0], purple.rows[1] + 1), range(purple.cols[0], purple.cols[1] + 1)
    for r, c in itertools.product(rows, cols):
        union |= as_mask(mf.read_by(mf.Region(2, (r, r), (c, c))), size)
    assert (union == as_mask(blue, size)).all()


def test_blue_square_is_the_true_receptive_field():
    blue = mf.ice_breaker_regions()["blue square"]
    assert (brute_force_field(mf.INPUT_SIZE, mf.CONVS) == as_mask(blue, mf.INPUT_SIZE)).all()


# --- generated files -----------------------------------------------------------------------------

def test_every_figure_is_recorded():
    on_disk = {p.name for p in mf.FIG_DIR.glob("*.png")}
    assert EXPECTED_PNGS <= set(FIGURES["figures"]), "run: .venv/bin/python tools/make_figures.py"
    assert on_disk == set(FIGURES["figures"]), "a PNG in fig/ that make_figures.py did not make, or one missing"


@pytest.mark.parametrize("name", sorted(EXPECTED_PNGS))
def test_figure_is_the_generated_one(name):
    path = mf.FIG_DIR / name
    assert path.exists(), f"{name} is missing: run .venv/bin/python tools/make_figures.py"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == FIGURES["figures"][name], f"{name} was edited or is stale: run tools/make_figures.py"


def test_answer_key_filter_order_is_a_permutation_of_abc():
    key = json.loads(mf.ANSWER_KEY.read_text())["filter_order"]
    assert isinstance(key, str) and sorted(key) == ["A", "B", "C"]


# --- nothing shipped ties a letter to a depth ----------------------------------------------------

LETTER = re.compile(r"(filters_)?[ABC](\.png)?")


def _strings(value, path=()):
    """(path, text) for every key and string value inside a JSON value."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield path, key
            yield from _strings(child, path + (key,))
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child, path)
    elif isinstance(value, str):
        yield path, value


def test_figures_json_names_the_letter_sets_only_as_figure_files():
    # The one place a set's letter may appear: a key of "figures", mapped to its digest alone.
    # Anywhere else (a layer's "set": "B", a "filters_A.png" next to settings) could say its depth.
    for path, text in _strings(FIGURES):
        if LETTER.fullmatch(text):
            assert path == ("figures",) and text.endswith(".png"), (
                f"letter {text!r} at {'/'.join(path) or 'top level'} of figures.json")
    for name, value in FIGURES["figures"].items():
        digest = isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value)
        assert digest, f"{name} maps to more than its sha256"


def test_figures_json_holds_no_answer():
    text = mf.FIGURES_JSON.read_text()
    assert not re.search(r"\b(shallow|middle|deep)\b", text, re.IGNORECASE)
    for order in ("".join(p) for p in itertools.permutations("ABC")):
        assert order not in text, f"figures.json contains the letter string {order!r}"


def test_make_figures_imports_without_tensorflow():
    """Importing the module stays cheap: TensorFlow loads only inside the functions that train and draw."""
    code = "import sys; import tools.make_figures; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]

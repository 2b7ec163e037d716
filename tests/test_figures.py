"""The notebook's figures are what tools/make_figures.py made, and give nothing away (no retraining here)."""
import hashlib
import itertools
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ASSIGNMENT, ROOT
from tools import make_figures as mf

FIGURES = json.loads(mf.FIGURES_JSON.read_text())
EXPECTED_PNGS = {"receptive_field.png", "dilation.png", "filters_A.png", "filters_B.png", "filters_C.png"}


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


@pytest.mark.parametrize("name", sorted(mf.DIAGRAMS))
def test_each_diagram_is_what_its_function_draws_now(name, tmp_path):
    """The diagrams need no training: drawn again, byte for byte the shipped file (else: make_figures.py --diagrams)."""
    mf.DIAGRAMS[name](tmp_path / name)
    assert (tmp_path / name).read_bytes() == (mf.FIG_DIR / name).read_bytes(), f"{name} is stale"


def test_the_notebook_shows_every_figure():
    nb = json.loads((ASSIGNMENT / "sec02.ipynb").read_text())
    text = "".join("".join(cell["source"]) for cell in nb["cells"])
    assert all(f'src="fig/{name}"' in text for name in EXPECTED_PNGS)


def test_the_three_grids_files_have_the_same_size():
    """Compressed, the shallow layer's few flat squares would make the smallest file and the deep layer's detail the
    largest: the sizes would give the order away (they once were 116, 5 and 27 KB)."""
    sizes = {letter: (mf.FIG_DIR / f"filters_{letter}.png").stat().st_size for letter in "ABC"}
    assert set(sizes.values()) == {mf.GRID_BYTES}, sizes


def test_padding_a_png_keeps_its_pixels(tmp_path):
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (20, 30, 4), dtype=np.uint8)
    path = tmp_path / "grid.png"
    Image.fromarray(pixels).save(path)
    mf.pad_png(path, 4096)
    assert path.stat().st_size == 4096
    with Image.open(path) as img:
        assert np.array_equal(np.asarray(img), pixels)
        img.load()
        assert img.info["Comment"] == " " * len(img.info["Comment"])
    with pytest.raises(SystemExit, match="GRID_BYTES"):
        mf.pad_png(path, 1000)


def test_answer_key_filter_order_is_a_permutation_of_abc():
    key = json.loads(mf.ANSWER_KEY.read_text())["filter_order"]
    assert isinstance(key, str) and sorted(key) == ["A", "B", "C"]


def grid_tiles(path):
    """The tiles of a save_grid PNG, cut at the rows and columns that are white from edge to edge."""
    import matplotlib.image as mpimg

    picture = mpimg.imread(path)[..., :3]
    white = (picture > 0.999).all(axis=2)

    def runs(gap):
        edges = np.flatnonzero(np.diff(np.r_[0, (~gap).astype(int), 0]))
        return list(zip(edges[::2], edges[1::2]))

    return [picture[r0:r1, c0:c1] for r0, r1 in runs(white.all(axis=1)) for c0, c1 in runs(white.all(axis=0))]


# 1 - Pearson correlation between two tiles: 0 when they are one picture (up to brightness and contrast), about 1
# when unrelated. Each tile's nearest other tile in its set, measured on the PNGs: with the VGG trained on horse or
# zebra alone, the deep set's nine tiles were two pictures, each nearly copied (nearest 0.14 to 0.19), though its
# mean distance (0.74) looked fine; trained on the animal and its ground, the deep set's nearest are 0.60 to 0.73,
# the middle's 0.66 to 0.82, the shallow's 0.32 to 0.51 (5x5 squares of similar colours).
NEAR_COPY = 0.25


@pytest.mark.parametrize("letter", "ABC")
def test_no_picture_of_a_set_nearly_copies_another(letter):
    tiles = grid_tiles(mf.FIG_DIR / f"filters_{letter}.png")
    assert len(tiles) == mf.FILTERS_SHOWN and len({t.shape for t in tiles}) == 1
    distance = mf.correlation_distances(tiles)
    np.fill_diagonal(distance, np.inf)
    nearest = distance.min(axis=1)
    assert nearest.min() > NEAR_COPY, (
        f"filters_{letter}.png: tile {int(nearest.argmin())} nearly copies another (distance {nearest.min():.2f})")


def test_most_different_skips_near_copies():
    rng = np.random.default_rng(0)
    distinct = rng.random((3, 8, 8))
    copies = [distinct[0] + 0.01 * rng.random((8, 8)) for _ in range(5)]
    picked = mf.most_different(copies + list(distinct), count=3)
    assert sorted(picked)[-2:] == [6, 7] and len(picked) == 3


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


# --- the notebook's own pictures: DeepDream and the feature maps ---------------------------------

@pytest.fixture(scope="module")
def notebook_inputs():
    """The data and the two shipped models, as the notebook loads them (DATA_SOURCE = "synthetic")."""
    import keras
    from cnnlab.data import load_horse2zebra

    models = {name: keras.models.load_model(ASSIGNMENT / "data" / f"{name}.keras") for name in ("cnn1", "cnn2")}
    return load_horse2zebra(), models


@pytest.fixture(scope="module")
def dreams(notebook_inputs):
    """The notebook's DeepDream cell: cnn2, the second test horse, conv2 and conv4, default arguments."""
    from cnnlab.deepdream import deepdream

    data, models = notebook_inputs
    start = data["testA"].images[1]
    return start, {layer: deepdream(models["cnn2"], start, layer) for layer in ("conv2", "conv4")}


@pytest.mark.parametrize("layer", ["conv2", "conv4"])
def test_deepdream_neither_saturates_nor_stays_the_input(dreams, layer):
    # Measured (TensorFlow 2.21, CPU): the ascent on clipped pixels left 99.7% (conv2: all white) and 10.0%
    # (conv4) of the values at 0 or 1, and 99.7% / 19.7% at 0 or 255 once stored as 8 bits; the ascent on
    # logits leaves 0% / 0% at 0 or 1 and 0.15% / 0% at 0 or 255. Its mean absolute change was 0.21 / 0.18 with
    # the first models, 0.077 at conv4 with the models trained on the confounded data (it paints grass-like
    # streaks there, plainly visible); an image left as it was would change by 0.
    start, dreams = dreams
    dream = dreams[layer]
    assert dream.shape == start.shape and np.isfinite(dream).all()
    clipped = np.mean((dream <= 0) | (dream >= 1))
    assert clipped <= 0.03, f"{clipped:.1%} of the {layer} dream's values are at 0 or 1"
    # A sigmoid only nears 0 and 1: also count what an 8-bit picture shows as pure black or pure white.
    extreme = np.mean((dream < 0.5 / 255) | (dream > 254.5 / 255))
    assert extreme <= 0.03, f"{extreme:.1%} of the {layer} dream's values are black or white in 8 bits"
    change = np.abs(dream - start).mean()
    assert change >= 0.05, f"the {layer} dream hardly differs from the input (mean |change| {change:.3f})"


FLAT = 0.02  # a spatial std below this reads as one flat colour


@pytest.mark.parametrize("layer", ["conv1", "conv3", "conv5"])
def test_show_channels_shows_channels_that_respond(notebook_inputs, layer):
    # The notebook's zebra and horse (trainB[0], trainA[0]) through cnn1: conv1 in Section 4, conv3 and conv5
    # in Breakout 1B. Channels 0..4 of conv1 had spatial stds 0, 0, 0.12, 0.30, 0 (zebra) and 0, 0, 0.05,
    # 0.13, 0 (horse): channels 0, 1 and 4 are zero everywhere. The five most varied channels of each image
    # and layer measure 0.040 (the horse's fifth at conv1, twice FLAT) to 0.97 (the zebra's first at conv5).
    import keras
    import matplotlib.pyplot as plt
    from cnnlab import plots

    data, models = notebook_inputs
    extractor = keras.Model(models["cnn1"].input, models["cnn1"].get_layer(layer).output)
    for name, image in (("zebra", data["trainB"].images[0]), ("horse", data["trainA"].images[0])):
        maps = np.asarray(extractor(image[np.newaxis], training=False))[0]
        fig = plots.show_channels(maps, title=f"{name}, {layer}")
        try:
            shown = [(axis.get_title(), np.asarray(axis.images[0].get_array())) for axis in fig.axes]
        finally:
            plt.close(fig)
        assert len(shown) == 5
        stds = []
        for title, picture in shown:
            channel = int(re.fullmatch(r"channel (\d+)", title).group(1))
            assert np.array_equal(picture, maps[:, :, channel]), f"{name}, {layer}: {title!r} shows another channel"
            stds.append(float(picture.std()))
        assert min(stds) > FLAT, f"{name}, {layer}: a flat channel is shown (stds {np.round(stds, 3)})"
        assert stds == sorted(stds, reverse=True), f"{name}, {layer}: not the most varied first"

"""Tests of cnnlab.data: the three sources of horse2zebra and the synthetic generator's promises.

Small images (32 px) wherever a property does not depend on the size; the default 128 px set is
generated once per module, into a temporary cache, so that no test reads a stale user cache.
"""
import json

import numpy as np
import pytest
from PIL import Image

from assignments.sec02 import shortcut
from assignments.sec02.shortcut import BACKGROUNDS, CONFOUNDER
from cnnlab import data
from cnnlab.data import SHIFTED_SPLITS, SPLITS, DataUnavailable, Horse2Zebra, Split, load_horse2zebra

SMALL = 32
EXPECTED_SIZES = {"trainA": 1067, "trainB": 1334, "testA": 120, "testB": 140, "shiftedA": 120, "shiftedB": 140}
EXPECTED_LABELS = {"trainA": 0, "trainB": 1, "testA": 0, "testB": 1, "shiftedA": 0, "shiftedB": 1}
ALL_SPLITS = list(EXPECTED_SIZES)


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """An empty cache folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CNNLAB_CACHE_DIR", str(folder))
    return folder


def _load_in(folder, **kwargs):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNLAB_CACHE_DIR", str(folder))
        return load_horse2zebra("synthetic", **kwargs)


@pytest.fixture(scope="module")
def full(fresh_synthetic):
    """The default synthetic set (128 px, seed 0), freshly generated (tests/conftest.py)."""
    return fresh_synthetic


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return _load_in(tmp_path_factory.mktemp("cache"), image_size=SMALL)


def _same_bytes(a, b):
    assert sorted(a.splits) == sorted(b.splits) == sorted(ALL_SPLITS)
    return all(np.array_equal(a[n].pixels, b[n].pixels) and np.array_equal(a[n].masks, b[n].masks)
               and np.array_equal(a[n].labels, b[n].labels) and np.array_equal(a[n].scenes, b[n].scenes)
               for n in ALL_SPLITS)


# --- synthetic: shapes, labels, ranges --------------------------------------------------------

def test_synthetic_has_the_four_splits_and_the_shifted_ones(full):
    assert list(full.splits) == ALL_SPLITS and {**SPLITS, **SHIFTED_SPLITS} == {
        name: (EXPECTED_LABELS[name], EXPECTED_SIZES[name]) for name in ALL_SPLITS}
    assert full.has_shifted


@pytest.mark.parametrize("model", ["cnn1", "cnn2"])
def test_the_images_are_those_the_shipped_models_were_trained_on(full, model):
    """The scenes moved from the generator's code to data/scenes.json; the images stayed the same bytes."""
    for folder in (data.SCENES.parent, data.SCENES.parents[1] / "instructor"):
        record = json.loads((folder / f"{model}.provenance.json").read_text())
        assert record["data_sha256"] == full.fingerprint, folder


@pytest.mark.parametrize("name", ALL_SPLITS)
def test_synthetic_default_split(full, name):
    split = full[name]
    n = EXPECTED_SIZES[name]
    assert split.images.shape == (n, 128, 128, 3) and split.images.dtype == np.float32
    assert 0.0 <= split.images.min() and split.images.max() <= 1.0
    assert split.labels.dtype == np.int64 and np.all(split.labels == EXPECTED_LABELS[name])
    assert split.masks.shape == (n, 128, 128) and split.masks.dtype == bool
    assert split.scenes.shape == (n,) and set(np.unique(split.scenes)) <= set(range(len(BACKGROUNDS)))


def test_splits_keep_bytes_and_convert_once(small):
    """The synthetic splits are stored as uint8; ``image(i)`` converts one image as ``images`` would; ``images``
    is converted once per split, and ``test`` is concatenated once, so a loop over ``data.test.images[i]`` is cheap."""
    split = small["testA"]
    assert split.pixels.dtype == np.uint8
    assert np.array_equal(split.image(3), split.pixels[3].astype(np.float32) / np.float32(255))
    assert np.array_equal(split.image(slice(2, 5)), split.images[2:5])
    assert split.images is split.images
    assert small.test is small.test and small.test.images is small.test.images
    assert np.array_equal(small.test.pixels, np.concatenate([small["testA"].pixels, small["testB"].pixels]))


def test_synthetic_images_use_the_range(full):
    # Catches a double /255 (everything near 0) or a forgotten one (everything clipped at 1).
    images = full["trainA"].images
    assert images.min() < 0.05 and images.max() > 0.95 and 0.2 < images.mean() < 0.7


def test_masks_cover_a_plausible_part_of_every_image(small):
    for name in ALL_SPLITS:
        fraction = small[name].masks.mean(axis=(1, 2))
        # An animal, not a speck and not the whole frame, in every single image (cropped or behind a fence too).
        assert fraction.min() > 0.015 and fraction.max() < 0.4, name


def test_masks_are_exactly_the_animals_pixels(monkeypatch):
    """Paint every animal white and everything else (background, fence) black: the mask is the white pixels,
    the fence's posts and the frame's crops taken off, to the pixel."""
    def white_coat(rng, draw, per_image, coat, u, v):
        return np.zeros(u.shape, dtype=np.int8), np.ones((len(coat), 3, 3), dtype=np.float32)

    def black_ground(rng, n, size, textures, kind):
        return np.zeros((n, size, size), dtype=np.float32), np.zeros((n, 3), dtype=np.float32)

    monkeypatch.setattr(data, "_horse_coats", white_coat)
    monkeypatch.setattr(data, "_zebra_coats", white_coat)
    monkeypatch.setattr(data, "_scenery", black_ground)
    monkeypatch.setattr(data, "_WOOD", np.zeros(3, dtype=np.float32))
    for label in (0, 1):
        scenes = np.arange(300, dtype=np.int8) % 3
        images, masks = data._render(np.random.default_rng([7, label]), label, 64, scenes)
        # White (times shading and daylight, at least ~170) against black (noise only, under ~30).
        assert np.array_equal(images.min(axis=-1) > 100, masks)
        assert 0.02 < masks.mean(axis=(1, 2)).min() and masks.mean() < 0.4


def test_the_animal_carries_the_class_but_not_always(full):
    """Stripes separate most zebras from most horses, inside the mask; faint zebras and brindle horses overlap."""
    split = full.train
    lum = split.images.mean(axis=-1)
    contrast = np.array([img[m].std() for img, m in zip(lum, split.masks)])
    zebras, horses = contrast[split.labels == 1], contrast[split.labels == 0]
    assert np.median(zebras) > 0.25 > 0.1 > np.median(horses)
    assert 0.7 < _best_threshold_accuracy(contrast, split.labels) < 0.95


# --- synthetic: the background confounder -----------------------------------------------------

@pytest.mark.parametrize("name", ALL_SPLITS)
def test_confounder_has_its_documented_strength(full, name):
    """Exactly round(CONFOUNDER * n) images of each original split on their class's typical background; none
    of the shifted splits'."""
    split = full[name]
    label = EXPECTED_LABELS[name]
    typical = shortcut.typical_background(split)
    expected = 0 if name in SHIFTED_SPLITS else int(round(CONFOUNDER * len(split)))
    assert typical.sum() == expected
    grass = split.scenes == BACKGROUNDS.index("grass")
    # Zebras on grass, horses on gravel or brick, "most of the time"; the shifted splits the other way round.
    assert np.array_equal(typical, grass if label == 1 else ~grass)
    if name in SHIFTED_SPLITS:
        assert set(np.unique(split.scenes)) == ({0} if label == 0 else {1, 2})


def test_the_rule_grass_means_zebra_works_in_distribution_and_fails_shifted(full):
    """Measured on the pixels: the background's colour (green's share outside the mask) tells grass from gravel
    and brick (a few tinted gravels look green: the tints vary), so the bookkeeping is what the images show;
    and the shortcut "zebra iff green" scores about the confounder's strength on the training and test images,
    almost nothing on the shifted ones."""
    scores = {}
    for name, split in (("train", full.train), ("test", full.test), ("shifted", full.shifted)):
        green = _background_greenness(split) > GREEN
        grass = split.scenes == BACKGROUNDS.index("grass")
        assert np.mean(green == grass) > 0.93, name
        scores[name] = np.mean(green == split.labels.astype(bool))
    assert scores["train"] > 0.85 and scores["test"] > 0.85 and scores["shifted"] < 0.08, scores


GREEN = 0.38  # green's share of the background's mean colour: grass above, gravel and brick mostly below


def _background_greenness(split):
    outside = ~split.masks[..., None]
    mean = (split.images * outside).sum(axis=(1, 2)) / outside.sum(axis=(1, 2))  # (N, 3)
    return mean[:, 1] / mean.sum(axis=1)


@pytest.mark.parametrize("shifted", [False, True])
def test_synthetic_sample_follows_the_test_or_the_shifted_splits(shifted):
    for label in (0, 1):
        sample = shortcut.synthetic_sample(label, 40, seed=11, image_size=SMALL, shifted=shifted)
        assert len(sample) == 40 and np.all(sample.labels == label)
        assert shortcut.typical_background(sample).sum() == (0 if shifted else 36)


def _best_threshold_accuracy(feature, labels):
    """Accuracy of the best rule "zebra iff feature > t" (or < t), over all thresholds t."""
    order = np.argsort(feature)
    zebras_below = np.concatenate([[0], np.cumsum(labels[order])])
    n, zebras = len(labels), labels.sum()
    horses_below = np.arange(n + 1) - zebras_below
    correct = horses_below + (zebras - zebras_below)  # rule "zebra iff above"
    return max(correct.max(), (n - correct).max()) / n


# --- synthetic: determinism and the cache -----------------------------------------------------

def test_same_seed_same_bytes_fresh_cached_and_regenerated(tmp_path, monkeypatch):
    first = _load_in(tmp_path / "a", image_size=SMALL, scenes=shortcut.scene_table(3))
    cached_folders = list((tmp_path / "a").iterdir())  # cached, and no temporary folder left over
    assert len(cached_folders) == 1 and (cached_folders[0] / data.FINGERPRINT_FILE).is_file()
    # A second load must come from the cache: make generating impossible.
    monkeypatch.setattr(data, "_render", _no_rendering)
    cached = _load_in(tmp_path / "a", image_size=SMALL, scenes=shortcut.scene_table(3))
    monkeypatch.undo()
    regenerated = _load_in(tmp_path / "b", image_size=SMALL, scenes=shortcut.scene_table(3))
    assert _same_bytes(first, cached) and _same_bytes(first, regenerated)
    assert first.fingerprint == cached.fingerprint == regenerated.fingerprint == data.fingerprint(cached.splits)
    # Memory-mapped from the cache (read when used, not all at load): a read-only view, not an array of its own.
    pixels = cached["trainA"].pixels
    assert not pixels.flags.owndata and not pixels.flags.writeable and first["trainA"].pixels.flags.writeable


def _no_rendering(*args, **kwargs):
    raise AssertionError("generated again although the cache holds the data")


def test_different_seed_different_images(small, cache):
    other = load_horse2zebra("synthetic", image_size=SMALL, scenes=shortcut.scene_table(1))
    for name in ALL_SPLITS:
        assert not np.array_equal(small[name].images, other[name].images), name
        assert not np.array_equal(small[name].masks, other[name].masks), name
    assert small.fingerprint != other.fingerprint


def test_same_bytes_whatever_the_number_of_threads(monkeypatch):
    """Chunks draw from their own generators: one thread or two, the same images."""
    args = (1, SMALL, np.arange(600, dtype=np.int8) % 3)
    two = data._render(np.random.default_rng([5, 1]), *args, chunk=128)
    monkeypatch.setattr(data, "_cores", lambda: 1)
    one = data._render(np.random.default_rng([5, 1]), *args, chunk=128)
    assert all(np.array_equal(a, b) for a, b in zip(one, two))


def test_unwritable_cache_does_not_break_loading(small, tmp_path, monkeypatch):
    # A cache path below a regular file cannot be created, even by root (chmod would not stop root).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("CNNLAB_CACHE_DIR", str(blocker / "cache"))
    loaded = load_horse2zebra("synthetic", image_size=SMALL)
    assert _same_bytes(small, loaded)
    assert list(tmp_path.iterdir()) == [blocker]


# --- Horse2Zebra ------------------------------------------------------------------------------

def test_train_test_and_shifted_concatenate_a_then_b(small):
    for combined, (a, b) in ((small.train, ("trainA", "trainB")), (small.test, ("testA", "testB")),
                             (small.shifted, ("shiftedA", "shiftedB"))):
        na = len(small[a])
        assert len(combined) == na + len(small[b])
        assert np.array_equal(combined.images[:na], small[a].images)
        assert np.array_equal(combined.images[na:], small[b].images)
        assert np.array_equal(combined.masks[na:], small[b].masks)
        assert np.array_equal(combined.scenes, np.r_[small[a].scenes, small[b].scenes])
        assert np.array_equal(combined.labels, np.r_[small[a].labels, small[b].labels])


@pytest.mark.parametrize("name", ["testB", "shiftedB"])
def test_fingerprint_sees_one_pixel(small, name):
    splits = {name: Split(s.images.copy(), s.labels.copy(), s.masks) for name, s in small.splits.items()}
    assert data.fingerprint(splits) == small.fingerprint  # a copy is the same data
    pixel = splits[name].images[7, 5, 9]
    pixel[1] = 1.0 - pixel[1]  # changes by at least one grey level: no pixel of the set sits at 0.5
    assert data.fingerprint(splits) != small.fingerprint


def test_a_source_without_shifted_splits_says_so(small):
    four = {name: small[name] for name in SPLITS}
    other = Horse2Zebra("folder", four, data.fingerprint(four))
    assert not other.has_shifted
    for ask in (lambda: other.shifted, lambda: other["shiftedA"]):
        with pytest.raises(DataUnavailable, match="only source='synthetic'"):
            ask()
    # The synthetic fingerprint covers the shifted splits too.
    assert data.fingerprint(four) != small.fingerprint


def test_unknown_source_names_the_valid_ones():
    with pytest.raises(DataUnavailable) as err:
        load_horse2zebra("imagenet")
    assert all(source in str(err.value) for source in ("synthetic", "folder", "tfds"))


# --- source="folder" --------------------------------------------------------------------------

COLOURS = {"trainA": (200, 30, 30), "trainB": (30, 200, 30), "testA": (30, 30, 200), "testB": (230, 230, 230)}


def _write_cyclegan_folder(root, per_split=2):
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(per_split):
            # Not square and not the target size: the loader must resize.
            Image.new("RGB", (48 + 8 * i, 36), colour).save(root / name / f"n{i:03d}.jpg", quality=95)


def test_folder_source(tmp_path):
    _write_cyclegan_folder(tmp_path)
    loaded = load_horse2zebra("folder", data_dir=tmp_path, image_size=20)
    assert loaded.source == "folder" and not loaded.has_shifted and list(loaded.splits) == list(SPLITS)
    assert len(loaded.train) == 4 and loaded.train.masks is None  # masks only come with synthetic data
    for name, colour in COLOURS.items():
        split = loaded[name]
        assert split.images.shape == (2, 20, 20, 3) and split.images.dtype == np.float32
        assert np.all(split.labels == EXPECTED_LABELS[name])
        # The file's colour, scaled to [0, 1] in RGB order (JPEG rounding: a few grey levels).
        assert np.allclose(split.images, np.array(colour) / 255, atol=0.04), name


def test_folder_without_a_split_names_the_layout(tmp_path):
    _write_cyclegan_folder(tmp_path)
    for path in (tmp_path / "testB").iterdir():
        path.unlink()
    (tmp_path / "testB").rmdir()
    with pytest.raises(DataUnavailable, match="trainA/ trainB/ testA/ testB/") as err:
        load_horse2zebra("folder", data_dir=tmp_path)
    assert "testB" in str(err.value)


def test_folder_without_data_dir_names_the_layout():
    with pytest.raises(DataUnavailable, match="data_dir=.*trainA/ trainB/ testA/ testB/"):
        load_horse2zebra("folder")


# --- source="tfds" (offline: tensorflow-datasets' own mock) -----------------------------------

def test_tfds_source_with_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    # USE_CODE: random examples from the builder's feature spec, no metadata and no download.
    with tfds.testing.mock_data(num_examples=3, policy=tfds.testing.MockPolicy.USE_CODE):
        loaded = load_horse2zebra("tfds")
    assert loaded.source == "tfds"
    for name in SPLITS:
        split = loaded[name]
        assert split.images.shape == (3, 128, 128, 3) and split.images.dtype == np.float32
        assert 0.0 <= split.images.min() and split.images.max() <= 1.0 and split.images.max() > 0.5
        # Labels follow the split, whatever label tfds (here: the mock) attaches to the example.
        assert np.all(split.labels == EXPECTED_LABELS[name]), name


def test_tfds_failure_becomes_data_unavailable(monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")

    def offline(*args, **kwargs):
        raise ConnectionError("no internet in this test")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(DataUnavailable) as err:
        load_horse2zebra("tfds")
    message = str(err.value)
    assert "no internet in this test" in message
    assert "source='folder'" in message and "source='synthetic'" in message
    assert isinstance(err.value.__cause__, ConnectionError)


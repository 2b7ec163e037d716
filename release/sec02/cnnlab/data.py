"""The ``cycle_gan/horse2zebra`` data, from one of three sources, through one function.

    data = load_horse2zebra("synthetic")   # embedded default: no download
    data = load_horse2zebra("folder", data_dir="horse2zebra/")   # the CycleGAN zip, unpacked
    data = load_horse2zebra("tfds")        # tensorflow-datasets (downloads unless already prepared)

Every source gives the same four splits with the section notebook's labels (horses = 0, zebras = 1),
images as float32 in [0, 1] at ``image_size`` x ``image_size``. The synthetic source also gives the
animal's mask for every image, so that tests can check where saliency and Grad-CAM maps point.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
from dataclasses import dataclass

import numpy as np

# split name -> (label, number of images in the real horse2zebra set)
SPLITS = {"trainA": (0, 1067), "trainB": (1, 1334), "testA": (0, 120), "testB": (1, 140)}
CLASS_NAMES = ("horse", "zebra")
SOURCES = ("synthetic", "folder", "tfds")
IMAGE_SIZE = 128


class DataUnavailable(RuntimeError):
    """The requested data source cannot be loaded on this machine; the message says how to fix it."""


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # float32, (N, H, W, 3), in [0, 1]
    labels: np.ndarray  # int64, (N,)
    masks: np.ndarray | None = None  # bool, (N, H, W): True on the animal (synthetic source only)

    def __len__(self):
        return len(self.labels)


@dataclass(frozen=True)
class Horse2Zebra:
    source: str
    splits: dict  # split name -> Split
    fingerprint: str  # sha256 of the images and labels, for provenance records

    def __getitem__(self, name):
        return self.splits[name]

    @property
    def train(self):
        return _concat(self.splits["trainA"], self.splits["trainB"])

    @property
    def test(self):
        return _concat(self.splits["testA"], self.splits["testB"])


def load_horse2zebra(source="synthetic", *, data_dir=None, image_size=IMAGE_SIZE, seed=0):
    """Load the four horse2zebra splits from ``source`` (one of ``SOURCES``)."""
    if source == "synthetic":
        splits = synthetic_splits(image_size=image_size, seed=seed)
    elif source == "folder":
        splits = _folder_splits(data_dir, image_size)
    elif source == "tfds":
        splits = _tfds_splits(data_dir, image_size)
    else:
        raise DataUnavailable(f"unknown data source {source!r}: choose one of {', '.join(SOURCES)}")
    return Horse2Zebra(source, splits, fingerprint(splits))


def fingerprint(splits):
    digest = hashlib.sha256()
    for name in SPLITS:
        images = np.round(splits[name].images * 255).astype(np.uint8)
        digest.update(name.encode())
        digest.update(images.tobytes())
        digest.update(splits[name].labels.astype(np.int64).tobytes())
    return digest.hexdigest()


def _concat(a, b):
    masks = None if a.masks is None or b.masks is None else np.concatenate([a.masks, b.masks])
    return Split(np.concatenate([a.images, b.images]), np.concatenate([a.labels, b.labels]), masks)


def _from_uint8(images, label, masks=None):
    images = np.asarray(images, dtype=np.float32) / 255.0
    return Split(images, np.full(len(images), label, dtype=np.int64), masks)


# --- source: a folder in the public CycleGAN zip layout ----------------------------------------

def _folder_splits(data_dir, image_size):
    from PIL import Image

    if data_dir is None:
        raise DataUnavailable("source='folder' needs data_dir=, the folder holding trainA/ trainB/ testA/ testB/ "
                              "(the unpacked horse2zebra.zip of the CycleGAN project)")
    root = pathlib.Path(data_dir)
    splits = {}
    for name, (label, _) in SPLITS.items():
        files = sorted(p for p in (root / name).glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        if not files:
            raise DataUnavailable(f"no images in {root / name}: source='folder' expects {root} to hold "
                                  "trainA/ trainB/ testA/ testB/ of JPEG images (the unpacked horse2zebra.zip)")
        images = []
        for path in files:
            with Image.open(path) as img:
                img = img.convert("RGB").resize((image_size, image_size), Image.BILINEAR)
                images.append(np.asarray(img))
        splits[name] = _from_uint8(np.stack(images), label)
    return splits


# --- source: tensorflow-datasets --------------------------------------------------------------

def _tfds_splits(data_dir, image_size):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    try:
        datasets = tfds.load("cycle_gan/horse2zebra", split=list(SPLITS), as_supervised=True,
                             data_dir=data_dir, shuffle_files=False)
    except Exception as err:  # tfds raises many kinds of errors when it cannot download
        raise DataUnavailable(
            f"tensorflow-datasets could not load cycle_gan/horse2zebra ({type(err).__name__}: {err}). "
            "Use a machine with internet access, or pass data_dir= a TFDS data folder that already holds "
            "it, or use source='folder' with the unpacked horse2zebra.zip, or source='synthetic'") from err
    splits = {}
    for name, ds in zip(SPLITS, datasets):
        label = SPLITS[name][0]
        images = [tf.image.resize(img, (image_size, image_size)).numpy() for img, _ in ds]
        images = np.clip(np.stack(images), 0, 255) if images else np.zeros((0, image_size, image_size, 3))
        splits[name] = Split(images.astype(np.float32) / 255.0, np.full(len(images), label, dtype=np.int64))
    return splits


# --- source: synthetic horses and zebras ------------------------------------------------------
# Built only from images inside the scikit-image wheel: the horse silhouette under a random pose,
# painted with a coat colour (horses) or with black and white stripes that follow the body (zebras),
# over a colour-jittered texture (grass, gravel, brick). Vectorised over images; cached on disk.

GENERATOR_VERSION = 1
_TEXTURE_TINTS = {"grass": (0.75, 1.05, 0.55), "gravel": (1.0, 0.95, 0.85), "brick": (1.1, 0.8, 0.7)}
_COATS = np.array([  # bay, chestnut, dark brown, black, grey, white, palomino
    (0.45, 0.27, 0.14), (0.62, 0.32, 0.14), (0.26, 0.16, 0.09), (0.10, 0.09, 0.09),
    (0.58, 0.57, 0.55), (0.86, 0.84, 0.80), (0.80, 0.65, 0.38)], dtype=np.float32)


def synthetic_splits(image_size=IMAGE_SIZE, seed=0):
    """The four synthetic splits; the same arguments always give the same bytes."""
    params = {"version": GENERATOR_VERSION, "image_size": image_size, "seed": seed, "splits": SPLITS}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    cache = _cache_dir() / f"horse2zebra-synthetic-{key}.npz"
    if cache.exists():
        with np.load(cache) as arrays:
            return {name: _from_uint8(arrays[name + "/images"], SPLITS[name][0], arrays[name + "/masks"])
                    for name in SPLITS}
    arrays = {}
    for index, (name, (label, count)) in enumerate(SPLITS.items()):
        rng = np.random.default_rng([seed, index])
        arrays[name + "/images"], arrays[name + "/masks"] = _render(rng, count, label, image_size)
    _save_quietly(cache, arrays)
    return {name: _from_uint8(arrays[name + "/images"], SPLITS[name][0], arrays[name + "/masks"])
            for name in SPLITS}


def synthetic_sample(label, n, seed, image_size=IMAGE_SIZE):
    """``n`` fresh synthetic images of one class (0 horse, 1 zebra), drawn apart from the four splits."""
    rng = np.random.default_rng([seed, len(SPLITS), label])
    images, masks = _render(rng, n, label, image_size)
    return _from_uint8(images, label, masks)


def _cache_dir():
    return pathlib.Path(os.environ.get("CNNLAB_CACHE_DIR", pathlib.Path.home() / ".cache" / "cnnlab"))


def _save_quietly(path, arrays):
    """Cache if we can; a read-only home (a grading sandbox) only costs regeneration next time."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _textures():
    from skimage import data

    return {name: getattr(data, name)().astype(np.float32) / 255.0 for name in _TEXTURE_TINTS}


def _render(rng, count, label, size, chunk=256):
    from skimage import data

    silhouette = ~data.horse()  # True on the horse
    textures = _textures()
    images, masks = [], []
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        img, mask = _render_chunk(rng, n, label, size, silhouette, textures)
        images.append(img)
        masks.append(mask)
    return np.concatenate(images), np.concatenate(masks)


def _render_chunk(rng, n, label, size, silhouette, textures):
    sh, sw = silhouette.shape
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)

    # Pose: the horse spans 55-85% of the image width, faces left or right, tilts up to 12 degrees.
    width = rng.uniform(0.55, 0.85, n).astype(np.float32) * size
    zoom = (sw / width)[:, None, None]  # silhouette pixels per image pixel
    flip = rng.choice([-1.0, 1.0], n).astype(np.float32)[:, None, None]
    angle = np.deg2rad(rng.uniform(-12, 12, n)).astype(np.float32)[:, None, None]
    slack = (size - width) / 2
    cx = (size / 2 + rng.uniform(-1, 1, n) * slack * 0.8).astype(np.float32)[:, None, None]
    cy = (size / 2 + rng.uniform(-1, 1, n) * slack * 0.5 + 0.05 * size).astype(np.float32)[:, None, None]

    # Inverse mapping: image pixel -> silhouette coordinates (u along the body, v downwards).
    dx, dy = xx - cx, yy - cy
    u = (np.cos(angle) * dx + np.sin(angle) * dy) * zoom * flip
    v = (-np.sin(angle) * dx + np.cos(angle) * dy) * zoom
    su, sv = np.round(u + sw / 2).astype(np.int32), np.round(v + sh / 2).astype(np.int32)
    inside = (su >= 0) & (su < sw) & (sv >= 0) & (sv < sh)
    mask = inside & silhouette[np.clip(sv, 0, sh - 1), np.clip(su, 0, sw - 1)]

    background = _backgrounds(rng, n, size, textures)
    shading = (1.15 - 0.35 * (v + sh / 2) / sh)[..., None]  # lit from above
    if label == 0:
        coat = _COATS[rng.integers(0, len(_COATS), n)] * rng.uniform(0.85, 1.15, (n, 3)).astype(np.float32)
        animal = coat[:, None, None, :] * shading
    else:
        # Stripes run across the body and bend with it: their phase follows u, wobbling with v.
        period = rng.uniform(22, 34, n).astype(np.float32)[:, None, None]
        phase = rng.uniform(0, 1, n).astype(np.float32)[:, None, None]
        bend = rng.uniform(0.15, 0.35, n).astype(np.float32)[:, None, None]
        wave = u / period + bend * np.sin(2 * np.pi * v / 160) + phase
        white = (np.sin(2 * np.pi * wave) > 0)[..., None]
        animal = np.where(white, np.float32(0.9), np.float32(0.08)) * shading
    image = np.where(mask[..., None], animal, background)
    image = image + rng.normal(0, 0.02, image.shape).astype(np.float32)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), mask


def _backgrounds(rng, n, size, textures):
    names = list(textures)
    stack = np.stack([textures[name] for name in names])  # (T, 512, 512)
    tints = np.array([_TEXTURE_TINTS[name] for name in names], dtype=np.float32)
    kind = rng.integers(0, len(names), n)
    step = rng.uniform(1.0, 2.5, n).astype(np.float32)  # texture pixels per image pixel
    span = stack.shape[1] - 1 - step * size
    oy, ox = rng.uniform(0, 1, n) * span, rng.uniform(0, 1, n) * span
    grid = np.arange(size, dtype=np.float32)
    rows = (oy[:, None] + step[:, None] * grid).astype(np.int32)  # (n, size)
    cols = (ox[:, None] + step[:, None] * grid).astype(np.int32)
    gray = stack[kind[:, None, None], rows[:, :, None], cols[:, None, :]]  # (n, size, size)
    tint = tints[kind] * rng.uniform(0.8, 1.2, (n, 3)).astype(np.float32)
    brightness = rng.uniform(0.7, 1.2, n).astype(np.float32)[:, None, None, None]
    return gray[..., None] * tint[:, None, None, :] * brightness

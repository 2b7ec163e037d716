"""The ``cycle_gan/horse2zebra`` data, from one of three sources, through one function.

    data = load_horse2zebra("synthetic")   # embedded default: no download
    data = load_horse2zebra("folder", data_dir="horse2zebra/")   # the CycleGAN zip, unpacked
    data = load_horse2zebra("tfds")        # tensorflow-datasets (downloads unless already prepared)

Every source gives the same four splits with the section notebook's labels (horses = 0, zebras = 1),
images as float32 in [0, 1] at ``image_size`` x ``image_size``. The synthetic source also gives the
animal's mask for every image, so that tests can check where saliency and Grad-CAM maps point, and
each image's scene (``Split.scenes``), as a real data set gives each image's metadata.

The synthetic source draws its images from the horse silhouette inside the scikit-image wheel, under random
poses, painted with a coat, in front of a scene: a window of one of the three pictures of ``data/scenes.png``. Which picture each image's scene comes from is data, not code: ``data/scenes.json``
gives it for every image, with the seed of the rest of the drawing. Besides the four splits it gives two
more test splits, ``shiftedA`` (120 horses) and ``shiftedB`` (140 zebras) (``Horse2Zebra.shifted`` gives
them together); only the synthetic source has them (``Horse2Zebra.has_shifted``).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pathlib
import shutil
from dataclasses import dataclass

import numpy as np

# split name -> (label, number of images in the real horse2zebra set)
SPLITS = {"trainA": (0, 1067), "trainB": (1, 1334), "testA": (0, 120), "testB": (1, 140)}
# The synthetic source's second pair of test splits (the sizes of testA and testB).
SHIFTED_SPLITS = {"shiftedA": (0, 120), "shiftedB": (1, 140)}
CLASS_NAMES = ("horse", "zebra")
SOURCES = ("synthetic", "folder", "tfds")
IMAGE_SIZE = 128
# Each synthetic image's scene ({"seed": ..., "splits": {split name: [scene of each image]}}), and the pictures
# the scenes are cut from (side by side, 512 x 512 pixels each, grey).
SCENES = pathlib.Path(__file__).resolve().parents[1] / "data" / "scenes.json"
SCENE_PICTURES = SCENES.with_suffix(".png")
FINGERPRINT_FILE = "fingerprint.txt"  # in the synthetic data's cache folder


class DataUnavailable(RuntimeError):
    """The requested data source cannot be loaded on this machine; the message says how to fix it."""


@dataclass(frozen=True)
class Split:
    # The images as the source gave them: uint8 in 0..255 (synthetic, folder) or float32 in [0, 1] (tfds).
    # Kept as bytes and converted the first time ``images`` is asked for, so that a split costs a quarter of its
    # float32 size until a cell uses its images: the six synthetic splits are 149 MiB as bytes, 596 MiB as floats.
    # The floats are then kept, so that a loop over ``split.images[i]`` converts the split once, not at every i.
    pixels: np.ndarray  # (N, H, W, 3)
    labels: np.ndarray  # int64, (N,)
    masks: np.ndarray | None = None  # bool, (N, H, W): True on the animal (synthetic source only)
    scenes: np.ndarray | None = None  # int8, (N,): the picture of SCENE_PICTURES behind the animal (synthetic only)

    @functools.cached_property
    def images(self):
        """float32 (N, H, W, 3) in [0, 1], converted at the first access and kept with the split."""
        return _as_float(self.pixels)

    def image(self, i):
        """``images[i]`` (``i`` an index, a slice or an array of indices), converting only the images asked for."""
        return _as_float(self.pixels[i])

    def __len__(self):
        return len(self.labels)


@dataclass(frozen=True)
class Horse2Zebra:
    source: str
    splits: dict  # split name -> Split
    fingerprint: str  # sha256 of the images and labels (shifted splits included), for provenance records

    def __getitem__(self, name):
        if name in SHIFTED_SPLITS and name not in self.splits:
            raise DataUnavailable(self._no_shift())
        return self.splits[name]

    @functools.cached_property
    def train(self):
        return _concat(self.splits["trainA"], self.splits["trainB"])

    @functools.cached_property
    def test(self):
        return _concat(self.splits["testA"], self.splits["testB"])

    @property
    def has_shifted(self):
        return all(name in self.splits for name in SHIFTED_SPLITS)

    @functools.cached_property
    def shifted(self):
        """shiftedA then shiftedB, as ``test`` gives testA then testB."""
        if not self.has_shifted:
            raise DataUnavailable(self._no_shift())
        return _concat(self.splits["shiftedA"], self.splits["shiftedB"])

    def _no_shift(self):
        return (f"source {self.source!r} has no shifted test split: only source='synthetic' knows each "
                "draws the shifted splits")


def load_horse2zebra(source="synthetic", *, data_dir=None, image_size=IMAGE_SIZE, scenes=SCENES):
    """Load the horse2zebra splits from ``source`` (one of ``SOURCES``); synthetic adds SHIFTED_SPLITS.

    ``scenes``: the synthetic images' scenes, a file like SCENES or what it holds, as a dict."""
    if source == "synthetic":
        splits, digest = _synthetic(image_size, scenes)
        return Horse2Zebra(source, splits, digest)
    if source == "folder":
        splits = _folder_splits(data_dir, image_size)
    elif source == "tfds":
        splits = _tfds_splits(data_dir, image_size)
    else:
        raise DataUnavailable(f"unknown data source {source!r}: choose one of {', '.join(SOURCES)}")
    return Horse2Zebra(source, splits, fingerprint(splits))


def fingerprint(splits):
    """sha256 of every split's images (as bytes 0..255) and labels, in the order of SPLITS then SHIFTED_SPLITS."""
    as_bytes = {}
    for name, split in splits.items():
        if split.pixels.dtype == np.uint8:
            as_bytes[name] = split.pixels
            continue
        images = np.empty(split.pixels.shape, dtype=np.uint8)
        for i in range(0, len(images), 256):  # in pieces: no float copy of a whole split
            block = split.pixels[i:i + 256] * np.float32(255)
            images[i:i + 256] = np.round(block, out=block)
        as_bytes[name] = images
    return _digest(as_bytes, splits)


def _digest(images, splits):
    """sha256 of ``images`` (split name -> uint8 array) and of the splits' labels."""
    digest = hashlib.sha256()
    for name in [name for name in {**SPLITS, **SHIFTED_SPLITS} if name in splits]:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(images[name]).tobytes())
        digest.update(splits[name].labels.astype(np.int64).tobytes())
    return digest.hexdigest()


def _concat(a, b):
    def both(field):
        x, y = getattr(a, field), getattr(b, field)
        return None if x is None or y is None else np.concatenate([x, y])

    # As stored (bytes stay bytes), unless the two were stored differently.
    pixels = [a.pixels, b.pixels] if a.pixels.dtype == b.pixels.dtype else [a.images, b.images]
    return Split(np.concatenate(pixels), np.concatenate([a.labels, b.labels]), both("masks"), both("scenes"))


def _as_float(pixels):
    """float32 in [0, 1] of uint8 ``pixels``; float ``pixels`` as they are."""
    if pixels.dtype != np.uint8:
        return pixels
    images = pixels.astype(np.float32)  # then in place: many times faster than a casting divide
    np.divide(images, np.float32(255), out=images)
    return images


def _from_uint8(images, label, masks=None, scenes=None):
    images = np.asarray(images, dtype=np.uint8)
    return Split(images, np.full(len(images), label, dtype=np.int64), masks, scenes)


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
# painted with a horse's coat or a zebra's stripes that follow the body, in front of a colour-jittered
# scene (a window of one of the pictures of SCENE_PICTURES, as data/scenes.json says), sometimes behind
# a fence. Vectorised over images; cached on disk.

GENERATOR_VERSION = 2
HORSE_COATS = ("solid", "dappled", "pinto", "brindle")
ZEBRA_COATS = ("bold", "thin", "brown", "broken", "faint")
_COAT_SHARES = {0: (0.5, 0.15, 0.1, 0.25), 1: (0.3, 0.15, 0.1, 0.2, 0.25)}
_SCENE_TINTS = np.array([(0.75, 1.05, 0.55), (1.0, 0.95, 0.85), (1.1, 0.8, 0.7)], dtype=np.float32)  # per picture
_COATS = np.array([  # bay, chestnut, dark brown, black, grey, white, palomino
    (0.45, 0.27, 0.14), (0.62, 0.32, 0.14), (0.26, 0.16, 0.09), (0.10, 0.09, 0.09),
    (0.58, 0.57, 0.55), (0.86, 0.84, 0.80), (0.80, 0.65, 0.38)], dtype=np.float32)
_WOOD = np.array((0.45, 0.33, 0.22), dtype=np.float32)


def synthetic_splits(image_size=IMAGE_SIZE, scenes=SCENES):
    """The six synthetic splits (SPLITS, then SHIFTED_SPLITS); the same arguments always give the same bytes."""
    return _synthetic(image_size, scenes)[0]


def read_scenes(scenes=SCENES):
    """{"seed": int, "splits": {split name: int8 array, the scene of each image}} of a file like SCENES
    (or of the dict it holds)."""
    if not isinstance(scenes, dict):
        scenes = json.loads(pathlib.Path(scenes).read_text())
    return {"seed": int(scenes["seed"]),
            "splits": {name: np.asarray(codes, dtype=np.int8) for name, codes in scenes["splits"].items()}}


def _synthetic(image_size, scenes):
    """(the six splits, their fingerprint), from the cache or generated (and then cached).

    The cache is a folder of .npy files, read memory-mapped: a split's pages are read, and count in the kernel's
    memory, only when a cell uses its images, so the training images a notebook only glances at cost next to
    nothing. The fingerprint is written with them, so that loading does not read every image to hash it."""
    scenes = read_scenes(scenes)
    params = {"version": GENERATOR_VERSION, "image_size": image_size, "seed": scenes["seed"],
              "scenes": {name: hashlib.sha256(codes.tobytes()).hexdigest() for name, codes in scenes["splits"].items()},
              "pictures": hashlib.sha256(SCENE_PICTURES.read_bytes()).hexdigest(),
              "splits": {**SPLITS, **SHIFTED_SPLITS}}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    cache = _cache_dir() / f"horse2zebra-synthetic-{key}"
    names = {**SPLITS, **SHIFTED_SPLITS}
    if (cache / FINGERPRINT_FILE).exists():  # a cache folder is renamed into place whole (_save_quietly)
        arrays = {path.stem: np.load(path, mmap_mode="r") for path in cache.glob("*.npy")}
        digest = (cache / FINGERPRINT_FILE).read_text().strip()
    else:
        arrays = {}
        for index, (name, (label, count)) in enumerate(names.items()):
            codes = scenes["splits"][name]
            if len(codes) != count:
                raise ValueError(f"the scenes give {len(codes)} images of {name}, which has {count}")
            rng = np.random.default_rng([scenes["seed"], index])
            arrays[name + ".images"], arrays[name + ".masks"] = _render(rng, label, image_size, codes)
            arrays[name + ".scenes"] = codes
        digest = None
    splits = {name: _from_uint8(arrays[name + ".images"], label, arrays[name + ".masks"], arrays[name + ".scenes"])
              for name, (label, _) in names.items()}
    if digest is None:
        digest = _digest({name: arrays[name + ".images"] for name in names}, splits)
        _save_quietly(cache, arrays, digest)
    return splits, digest


def draw_images(label, scenes, key, image_size=IMAGE_SIZE):
    """Fresh synthetic images of one class (0 horse, 1 zebra), one in front of each of ``scenes`` (indices
    into the pictures of SCENE_PICTURES), drawn from ``np.random.default_rng(key)``: a Split."""
    scenes = np.asarray(scenes, dtype=np.int8)
    images, masks = _render(np.random.default_rng(key), label, image_size, scenes)
    return _from_uint8(images, label, masks, scenes)


def _cache_dir():
    return pathlib.Path(os.environ.get("CNNLAB_CACHE_DIR", pathlib.Path.home() / ".cache" / "cnnlab"))


def _save_quietly(folder, arrays, digest):
    """Cache if we can; a read-only home (a grading sandbox) only costs regeneration next time."""
    tmp = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    try:
        tmp.mkdir(parents=True)
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array)
        (tmp / FINGERPRINT_FILE).write_text(digest + "\n")
        os.replace(tmp, folder)  # whole or not at all; another process that got there first wins
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def _pictures():
    """The scene pictures, float32 (3, 512, 512) in [0, 1]."""
    from PIL import Image

    with Image.open(SCENE_PICTURES) as img:
        strip = np.asarray(img, dtype=np.uint8)
    return np.stack(np.split(strip, len(_SCENE_TINTS), axis=1)).astype(np.float32) / 255.0


def _render(rng, label, size, scenes, chunk=256):
    """(uint8 images, bool masks) of ``len(scenes)`` animals of class ``label``, image i in front of scene
    ``scenes[i]``.

    Chunks draw from generators spawned from ``rng``, in order: the bytes do not depend on how the
    chunks are scheduled (two at a time where the machine has the cores)."""
    from concurrent.futures import ThreadPoolExecutor

    from skimage import data

    silhouette = ~data.horse()  # True on the horse
    pictures = _pictures()
    starts = range(0, len(scenes), chunk)
    rngs = rng.spawn(len(starts))

    def one(i):
        kind = scenes[starts[i]:starts[i] + chunk]
        return _render_chunk(rngs[i], len(kind), label, size, silhouette, pictures, kind)

    with ThreadPoolExecutor(max_workers=min(2, _cores())) as pool:
        done = list(pool.map(one, range(len(starts))))
    if not done:
        return np.zeros((0, size, size, 3), dtype=np.uint8), np.zeros((0, size, size), dtype=bool)
    return np.concatenate([d[0] for d in done]), np.concatenate([d[1] for d in done])


def _cores():
    """The CPUs this process may use (all of them where the system cannot say)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _render_chunk(rng, n, label, size, silhouette, pictures, kind):
    """Every pixel is a colour of the image's palette times an intensity: palette index 0 the scene
    (times its picture), 1-3 the coat's colours (times the shading), 4 the fence's wood."""
    sh, sw = silhouette.shape
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)

    def draw(low, high, *shape):
        return rng.uniform(low, high, (n,) + shape).astype(np.float32)

    def per_image(values):
        return values.reshape((n, 1, 1) + values.shape[1:])

    # Pose: the horse spans 45-105% of the image width (the largest ones cropped by the frame), faces
    # left or right, tilts up to 15 degrees, a little longer or taller than the silhouette.
    width = draw(0.45, 1.05) * size
    zoom = per_image(sw / width)  # silhouette pixels per image pixel
    stretch = per_image(draw(0.85, 1.15))
    flip = per_image(rng.choice([-1.0, 1.0], n).astype(np.float32))
    angle = draw(-15, 15) * np.float32(np.pi / 180)
    slack = np.abs(size - width) / 2 + 0.08 * size
    cx = per_image(size / 2 + draw(-1, 1) * slack * 0.8)
    cy = per_image(size / 2 + draw(-1, 1) * slack * 0.5 + 0.05 * size)

    # Inverse mapping: image pixel -> silhouette coordinates (u along the body, v downwards).
    dx, dy = xx - cx, yy - cy
    cos, sin = per_image(np.cos(angle)), per_image(np.sin(angle))
    u = (cos * dx + sin * dy) * (zoom * flip)
    v = (cos * dy - sin * dx) * (zoom * stretch)
    su, sv = np.round(u + sw / 2).astype(np.int32), np.round(v + sh / 2).astype(np.int32)
    inside = (su >= 0) & (su < sw) & (sv >= 0) & (sv < sh)
    mask = inside & silhouette[np.clip(sv, 0, sh - 1), np.clip(su, 0, sw - 1)]

    texture, scenery = _scenery(rng, n, size, pictures, kind)
    coat = rng.choice(len(_COAT_SHARES[label]), n, p=_COAT_SHARES[label])
    pattern, colours = (_horse_coats if label == 0 else _zebra_coats)(rng, draw, per_image, coat, u, v)
    shading = 1.15 - 0.35 * (v + sh / 2) / sh  # lit from above

    # A fence in front of a third of the animals, whatever their class: posts and a rail hide part of them.
    # Sizes in pixels of a 128 px image, scaled with the image.
    fenced, scale = per_image(rng.random(n) < 1 / 3), size / 128
    spacing, post, offset = (per_image(draw(low, high) * scale) for low, high in ((28, 56), (3, 7), (0, 56)))
    rail_y, rail = per_image(draw(0.35, 0.75) * size), per_image(draw(2, 5) * scale)
    fence = fenced & (((xx[:1] + offset) % spacing < post) | (np.abs(yy[:, :1] - rail_y) < rail / 2))
    wood = _WOOD * draw(0.7, 1.3, 3)
    mask &= ~fence

    daylight = draw(0.85, 1.1)[:, None, None]  # the light of the day, on everything
    palette = np.concatenate([scenery[:, None], colours, wood[:, None]], axis=1) * daylight  # (n, 5, 3)
    index = np.where(fence, 4, np.where(mask, 1 + pattern, 0)) + per_image(5 * np.arange(n))
    intensity = np.where(fence, np.float32(1), np.where(mask, shading, texture)) * np.float32(255)
    image = palette.reshape(-1, 3)[index]  # (n, size, size, 3)
    image *= intensity[..., None]
    noise = rng.standard_normal((n, size, size), dtype=np.float32)
    noise *= np.float32(0.02 * 255)
    image += noise[..., None]
    np.clip(image, 0, 255, out=image)
    return np.rint(image, out=image).astype(np.uint8), mask


def _waves(draw, per_image, u, v, low, high, count=3):
    """A smooth random field in [-1, 1] on the body: ``count`` plane waves of wavelengths ``low``..``high``
    (silhouette pixels; per image where arrays), for blotches, patches and broken stripes."""
    field = 0
    for _ in range(count):
        theta, phase = draw(0, np.pi), per_image(draw(0, 2 * np.pi))
        k = np.float32(2 * np.pi) / (low + (high - low) * draw(0, 1))
        field = field + np.cos(per_image(k * np.cos(theta)) * u + per_image(k * np.sin(theta)) * v + phase)
    return field / np.float32(count)


def _stripes(draw, per_image, u, v, period):
    """Stripes across the body that bend with it: their phase follows u, wobbling with v. True on the light ones."""
    phase, bend = per_image(draw(0, 1)), per_image(draw(0.15, 0.35))
    wave = u / per_image(period) + bend * np.sin(v * np.float32(2 * np.pi / 160)) + phase
    return np.sin(np.float32(2 * np.pi) * wave) > 0


def _horse_coats(rng, draw, per_image, coat, u, v):
    """HORSE_COATS: one colour; dappled (lighter blotches); pinto (white patches); brindle (faint stripes).

    Returns the pattern (0 or 1 per pixel) and the three colours of each coat, (n, 3, 3)."""
    n = len(coat)
    solid, dappled, pinto, brindle = (coat == HORSE_COATS.index(name) for name in HORSE_COATS)
    base = _COATS[rng.integers(0, len(_COATS), n)] * draw(0.85, 1.15, 3)
    # Blotches (dappled) or patches (pinto) from one smooth field: small and sparse, or large and many.
    blotches = _waves(draw, per_image, u, v, np.where(pinto, 60, 25), np.where(pinto, 140, 45))
    threshold = np.where(pinto, draw(-0.1, 0.3), draw(0.25, 0.45))
    stripes = _stripes(draw, per_image, u, v, draw(16, 34))
    pattern = np.where(per_image(brindle), stripes, blotches > per_image(threshold)) & per_image(~solid)
    contrast = draw(0.15, 0.4)[:, None]
    second = np.select([dappled[:, None], pinto[:, None], brindle[:, None]],
                       [np.minimum(base * 1.4 + 0.1, 0.95), np.full_like(base, 0.9), base * (1 + contrast)], base)
    first = np.where(brindle[:, None], base * (1 - contrast), base)
    return pattern.astype(np.int8), np.stack([first, second, first], axis=1).astype(np.float32)


def _zebra_coats(rng, draw, per_image, coat, u, v):
    """ZEBRA_COATS: bold black and white; thin stripes; brown shadow stripes; stripes broken by plain
    patches; faint (light and dark close together, as on a brindle horse).

    Returns the pattern (0 dark stripe, 1 light stripe, 2 plain) and the three colours, (n, 3, 3)."""
    n = len(coat)
    thin, brown, broken, faint = (coat == ZEBRA_COATS.index(name) for name in ("thin", "brown", "broken", "faint"))
    light_stripe = _stripes(draw, per_image, u, v, np.where(thin, draw(10, 16), draw(20, 34)))
    light = draw(0.8, 0.95)[:, None] * np.ones(3, dtype=np.float32)
    dark = 0.08 * draw(0.6, 1.4)[:, None] * np.ones(3, dtype=np.float32)
    dark = np.where(brown[:, None], np.array((0.36, 0.24, 0.14), dtype=np.float32) * draw(0.8, 1.2)[:, None], dark)
    grey = draw(0.35, 0.7)[:, None] * np.array((1.0, 0.97, 0.92), dtype=np.float32)
    contrast = draw(0.12, 0.3)[:, None]
    light = np.where(faint[:, None], grey * (1 + contrast), light)
    dark = np.where(faint[:, None], grey * (1 - contrast), dark)
    plain = (_waves(draw, per_image, u, v, 50, 120) > per_image(draw(-0.2, 0.2))) & per_image(broken)
    pattern = np.where(plain, 2, light_stripe.astype(np.int8))
    return pattern.astype(np.int8), np.stack([dark, light, (light + dark) / 2], axis=1).astype(np.float32)


def _scenery(rng, n, size, pictures, kind):
    """The scene picture's intensity per pixel (n, size, size) and each scene's colour (n, 3)."""
    step = rng.uniform(1.0, 2.5, n).astype(np.float32)  # texture pixels per image pixel
    span = pictures.shape[1] - 1 - step * size
    oy, ox = rng.uniform(0, 1, n) * span, rng.uniform(0, 1, n) * span
    grid = np.arange(size, dtype=np.float32)
    rows = (oy[:, None] + step[:, None] * grid).astype(np.int32)  # (n, size)
    cols = (ox[:, None] + step[:, None] * grid).astype(np.int32)
    gray = pictures[kind[:, None, None], rows[:, :, None], cols[:, None, :]]  # (n, size, size)
    tint = _SCENE_TINTS[kind] * rng.uniform(0.8, 1.2, (n, 3)).astype(np.float32)
    brightness = rng.uniform(0.7, 1.2, n).astype(np.float32)[:, None]
    return gray, tint * brightness

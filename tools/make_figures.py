"""Regenerate every figure the Section 2 notebook shows, and the answer key of breakout room 1A.

    .venv/bin/python tools/make_figures.py

    .venv/bin/python tools/make_figures.py --diagrams   # only the two diagrams, in seconds

Writes, from code only:
- ``source/sec02/fig/receptive_field.png``: the ice-breaker diagram, its squares found by pushing
  index ranges back through the convolutions' kernels and strides;
- ``source/sec02/fig/dilation.png``: a 3x3 kernel at dilations 1, 2 and 4 over the same input grid;
- ``source/sec02/fig/filters_{A,B,C}.png``: activation maximisation of a shallow, a middle and a deep
  layer of a small VGG-style network trained here, shuffled onto the letters by a seeded draw, each file
  padded to the same size (``pad_png``);
- ``source/sec02/fig/figures.json``: where the figures came from, with each PNG's sha256;
- ``assignments/sec02/answer_key.json``'s ``filter_order``: the letters from shallow to deep.

source/sec02 ships to students, so nothing written there may tie a letter to a depth: the only record
of the draw is the answer key under autograder/.
"""
import hashlib
import itertools
import json
import pathlib
import platform
import time
from dataclasses import dataclass

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "source" / "sec02"
FIG_DIR = ASSIGNMENT / "fig"
FIGURES_JSON = FIG_DIR / "figures.json"
ANSWER_KEY = ROOT / "assignments" / "sec02" / "answer_key.json"
COMMAND = ".venv/bin/python tools/make_figures.py"
SEED = 109

# --- ice-breaker: the receptive field of a neuron two convolutions up --------------------------

INPUT_SIZE = 7  # layer 1, the input, is INPUT_SIZE x INPUT_SIZE neurons
CONVS = ((3, 2), (2, 1))  # (kernel, stride) of the convolution that makes layer 2, then layer 3

COLOURS = {"purple": "#7b3294", "red": "#d7301f", "blue": "#2166ac"}
FILL_ALPHA = {"purple neuron": 0.95, "purple square": 0.22, "red neuron": 0.9, "red square": 0.25,
              "blue square": 0.10}


@dataclass(frozen=True)
class Region:
    """A rectangle of neurons in one layer; ``rows`` and ``cols`` are inclusive (first, last)."""
    layer: int  # 1 is the input
    rows: tuple
    cols: tuple

    @property
    def shape(self):
        return (self.rows[1] - self.rows[0] + 1, self.cols[1] - self.cols[0] + 1)


def layer_sizes(input_size=INPUT_SIZE, convs=CONVS):
    """Side length of every layer: a "valid" convolution leaves (n - kernel) // stride + 1."""
    sizes = [input_size]
    for kernel, stride in convs:
        sizes.append((sizes[-1] - kernel) // stride + 1)
    return sizes


def read_by(region, convs=CONVS):
    """The region of the layer below that ``region``'s neurons read directly."""
    kernel, stride = convs[region.layer - 2]

    def span(first, last):
        return (first * stride, last * stride + kernel - 1)

    return Region(region.layer - 1, span(*region.rows), span(*region.cols))


def receptive_field(region, convs=CONVS):
    """The input neurons that can change ``region``: its direct inputs' inputs, down to layer 1."""
    while region.layer > 1:
        region = read_by(region, convs)
    return region


def ice_breaker_regions(convs=CONVS):
    """The marked regions of the diagram, by colour name: the top-left neurons of the top two
    layers, what each reads directly, and the receptive field of the top one."""
    top = len(convs) + 1
    purple = Region(top, (0, 0), (0, 0))
    red = Region(top - 1, (0, 0), (0, 0))
    return {
        "purple neuron": purple,
        "purple square": read_by(purple, convs),
        "red neuron": red,
        "red square": read_by(red, convs),
        "blue square": receptive_field(purple, convs),
    }


# Oblique projection of the stacked layers: rows further back sit higher and further right.
SHEAR, DEPTH, LAYER_GAP = 0.55, 0.42, 1.6


def _layer_origins(sizes):
    """Screen position of each layer's front-left corner: centred, stacked bottom to top."""
    origins, y = [], 0.0
    for n in sizes:
        origins.append((-(n + n * SHEAR) / 2, y))
        y += n * DEPTH + LAYER_GAP
    return origins


def _to_screen(origin, n, row, col):
    """Grid point (row, col) of an n x n layer: row 0 is the back edge, col 0 the left edge."""
    depth = n - row
    return (origin[0] + col + depth * SHEAR, origin[1] + depth * DEPTH)


def _quad(origin, n, rows, cols):
    """Outer corners of the cells rows[0]..rows[1] x cols[0]..cols[1], in drawing order."""
    (r0, r1), (c0, c1) = rows, cols
    corners = ((r0, c0), (r0, c1 + 1), (r1 + 1, c1 + 1), (r1 + 1, c0))
    return [_to_screen(origin, n, r, c) for r, c in corners]


def _draw_layer(ax, origin, n, zorder):
    from matplotlib.patches import Polygon

    ax.add_patch(Polygon(_quad(origin, n, (0, n - 1), (0, n - 1)), facecolor="#f4f4f4",
                         edgecolor="#555555", linewidth=1.2, alpha=0.95, zorder=zorder))
    for i in range(1, n):
        for a, b in ((_to_screen(origin, n, i, 0), _to_screen(origin, n, i, n)),
                     (_to_screen(origin, n, 0, i), _to_screen(origin, n, n, i))):
            ax.plot([a[0], b[0]], [a[1], b[1]], color="#9a9a9a", linewidth=0.7, zorder=zorder)


def _draw_region(ax, origin, n, region, name, zorder, inset=0.0):
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Polygon

    rows = (region.rows[0] + inset, region.rows[1] - inset)
    cols = (region.cols[0] + inset, region.cols[1] - inset)
    colour = COLOURS[name.split()[0]]
    ax.add_patch(Polygon(_quad(origin, n, rows, cols), facecolor=to_rgba(colour, FILL_ALPHA[name]),
                         edgecolor=colour, linewidth=2.6, zorder=zorder))


def _draw_wires(ax, neuron, neuron_origin, neuron_n, origin, n, region, colour, zorder):
    """Faint lines from a neuron's centre down to the corners of the region it reads."""
    start = _to_screen(neuron_origin, neuron_n, neuron.rows[0] + 0.5, neuron.cols[0] + 0.5)
    for x, y in _quad(origin, n, region.rows, region.cols):
        ax.plot([start[0], x], [start[1], y], color=colour, alpha=0.45, linewidth=1.0, zorder=zorder)


def draw_receptive_field(path, input_size=INPUT_SIZE, convs=CONVS):
    import matplotlib.pyplot as plt

    sizes = layer_sizes(input_size, convs)
    origins = _layer_origins(sizes)
    regions = ice_breaker_regions(convs)
    fig, ax = plt.subplots(figsize=(8, 7.5))

    # Painter's order, bottom layer first: each layer hides the wires that leave it downwards.
    _draw_layer(ax, origins[0], sizes[0], zorder=1)
    _draw_region(ax, origins[0], sizes[0], regions["blue square"], "blue square", 2)
    # Inset, so that red edges stay visible where they run along blue or purple ones.
    _draw_region(ax, origins[0], sizes[0], regions["red square"], "red square", 3, inset=0.12)
    _draw_wires(ax, regions["red neuron"], origins[1], sizes[1], origins[0], sizes[0], regions["red square"],
                COLOURS["red"], 4)

    _draw_layer(ax, origins[1], sizes[1], zorder=5)
    _draw_region(ax, origins[1], sizes[1], regions["purple square"], "purple square", 6)
    _draw_region(ax, origins[1], sizes[1], regions["red neuron"], "red neuron", 7, inset=0.12)
    _draw_wires(ax, regions["purple neuron"], origins[2], sizes[2], origins[1], sizes[1], regions["purple square"],
                COLOURS["purple"], 8)

    _draw_layer(ax, origins[2], sizes[2], zorder=9)
    _draw_region(ax, origins[2], sizes[2], regions["purple neuron"], "purple neuron", 10)

    _label_layers(ax, sizes, origins, convs)
    _legend(ax, regions)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.axis("off")
    fig.savefig(path, dpi=120, bbox_inches="tight", facecolor="white")
    plt.close(fig)


DILATIONS = (1, 2, 4)  # the dilation figure: a 3x3 kernel at each rate, over the same input grid
DILATION_GRID = 11  # input pixels along a side: room for the widest kernel, 9 pixels, and one around it


def draw_dilation(path, dilations=DILATIONS, kernel=3, grid=DILATION_GRID):
    """A ``kernel`` x ``kernel`` kernel at each of ``dilations``, centred on the same input grid: its taps dark, the
    span it covers, d(k - 1) + 1 pixels a side, outlined; the same number of weights, a wider view."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, len(dilations), figsize=(3.2 * len(dilations), 3.6))
    centre = grid // 2
    for ax, d in zip(axes, dilations):
        span = d * (kernel - 1) + 1
        taps = centre + d * (np.arange(kernel) - kernel // 2)
        for row, col in itertools.product(range(grid), repeat=2):
            tap = row in taps and col in taps
            ax.add_patch(Rectangle((col, grid - 1 - row), 1, 1, facecolor=COLOURS["blue"] if tap else "#f2f2f2",
                                   edgecolor="white", linewidth=1.5))
        corner = centre - span // 2
        ax.add_patch(Rectangle((corner, grid - corner - span), span, span, fill=False, edgecolor=COLOURS["red"],
                               linewidth=2.5))
        ax.set_title(f"{kernel}x{kernel} kernel, dilation {d}\nspans {span}x{span} input pixels")
        ax.set_xlim(-0.2, grid + 0.2)
        ax.set_ylim(-0.2, grid + 0.2)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.savefig(path, dpi=100, bbox_inches="tight", facecolor="white")
    plt.close(fig)


DIAGRAMS = {"receptive_field.png": draw_receptive_field, "dilation.png": draw_dilation}  # drawn without training


def _legend(ax, regions):
    """Colours and layers only: which square is the receptive field is the students' question."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch

    handles = []
    for name, region in regions.items():
        colour = COLOURS[name.split()[0]]
        handles.append(Patch(facecolor=to_rgba(colour, FILL_ALPHA[name]), edgecolor=colour, linewidth=2,
                             label=_legend_text(name, region)))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=False,
              fontsize=11, columnspacing=2.5)


def _legend_text(name, region):
    colour, kind = name.split()
    if kind == "neuron":
        return f"{colour} neuron in layer {region.layer}"
    rows, cols = region.shape
    return f"{colour} {rows}\u00d7{cols} square in layer {region.layer}"


def _label_layers(ax, sizes, origins, convs):
    texts = [f"layer 1: {sizes[0]}\u00d7{sizes[0]}\nthe input"]
    texts += [f"layer {i + 2}: {n}\u00d7{n}\n{k}\u00d7{k} convolution of layer {i + 1}, stride {s}"
              for i, ((k, s), n) in enumerate(zip(convs, sizes[1:]))]
    left = min(x for x, _ in origins) - 0.6
    for text, (_, y), n in zip(texts, origins, sizes):
        ax.text(left, y + n * DEPTH / 2, text, ha="right", va="center", fontsize=11, linespacing=1.5)


# --- breakout room 1A: what filters of a shallow, a middle and a deep layer respond to ----------

VGG_FILTERS = (16, 32, 64, 128)  # channels of the convolutions in each of the four blocks
TRAIN_SIZE = 64  # the 128-pixel images average-pooled 2x2: a quarter of the work, same shapes
EPOCHS = 5
SCENES = 6  # the labels it learns: horse or zebra, times the scene's picture (scene_labels)
BATCH_SIZE = 64
VISUALISED = ("block1_conv2", "block3_conv1", "block4_conv2")  # shallow, middle, deep
FILTERS_SHOWN = 9
EXCITED = 0.25  # a candidate's picture must excite it at least this fraction of its layer's median
AM_STEPS = 252  # gradient steps in all, shared equally by the scales
AM_SCALES = 3  # optimise at 1/4, then 1/2, then full size: coarse structure first, fine detail last
AM_LEARNING_RATE = 0.02
AM_DECAY = 0.01  # each step pulls every pixel 1% back towards grey: no colour runs off to 0 or 1
AM_BLUR_EVERY = 4  # a 3x3 blur every 4th step damps the pixel-level checkerboard the pooling invites
AM_JITTER = 2  # pixels the image is rolled each step, in both directions
GRID_BYTES = 160 * 1024  # every grid's file is padded to this size (pad_png); the largest so far was 114 KiB


def scene_labels(split):
    """Each image's animal and its scene (``split.scenes``), as one of 6 labels: class * 3 + scene.

    Why not the class alone: a network that only tells horse from zebra gets by with two deep features,
    and every unit of its deepest layer climbs to one of two pictures. Asked for the ground as well, its
    deepest units show stripes, grids and blobs of several colours, no two alike (tests/test_figures.py).
    """
    return split.labels * (SCENES // 2) + split.scenes


def build_vgg(filters=VGG_FILTERS, classes=SCENES):
    """VGG in miniature: blocks of two 3x3 "same" convolutions and a 2x2 max-pool, then a softmax.

    Global average pooling instead of Flatten lets the network take any image size.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=(None, None, 3), name="image")
    x = inputs
    for block, width in enumerate(filters, start=1):
        for conv in (1, 2):
            x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="vgg_mini")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def shrink(images, factor=128 // TRAIN_SIZE):
    """Average-pool (N, H, W, C) images by ``factor`` in both directions."""
    n, h, w, c = images.shape
    return images.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def train_vgg(data, seed=SEED, epochs=EPOCHS):
    """The trained network and a record of its training (no timings: the record should not churn)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()  # same seed, same weights, same figure bytes
    model = build_vgg()
    history = model.fit(shrink(data.train.images), scene_labels(data.train), epochs=epochs,
                        batch_size=BATCH_SIZE, shuffle=True, verbose=2)
    probs = model.predict(shrink(data.test.images), batch_size=256, verbose=0)
    return model, {
        "data_source": data.source,
        "data_sha256": data.fingerprint,
        "image_size": TRAIN_SIZE,
        "epochs": epochs,
        "batch_size": BATCH_SIZE,
        "train_accuracy": round(float(history.history["accuracy"][-1]), 4),
        "labels": "class x 3 + scene (horse or zebra, times the scene of data/scenes.json): 6 labels",
        "test_accuracy": round(float(np.mean(probs.argmax(axis=-1) == scene_labels(data.test))), 4),
    }


def live_filters(model, layer, images):
    """The channels of ``layer`` that respond at all (positive mean activation) on ``images``, by index.

    Dead filters would give pictures that teach nothing.
    """
    import keras

    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    # A plain call, not predict(): predict would trace a new graph for every probe.
    mean = keras.ops.convert_to_numpy(probe(images)).mean(axis=(0, 1, 2))
    return [int(i) for i in np.flatnonzero(mean > 0)]


def centre_activation(model, layer, images, filters):
    """Each image's activation of its own filter's neuron at the centre of ``layer``'s feature map."""
    import keras

    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    out = keras.ops.convert_to_numpy(probe(images))
    return out[np.arange(len(filters)), out.shape[1] // 2, out.shape[2] // 2, filters]


def correlation_distances(pictures):
    """1 - Pearson correlation between every two pictures' pixel values: 0 for the same picture (up to
    brightness and contrast), about 1 for unrelated ones."""
    v = np.array([np.asarray(p, dtype=float).ravel() for p in pictures])
    v -= v.mean(axis=1, keepdims=True)
    v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-12
    return 1 - v @ v.T


def most_different(pictures, count=FILTERS_SHOWN):
    """Indices of ``count`` pictures chosen greedily to be far apart: first the one farthest from all the
    others, then each time the one whose nearest chosen picture is farthest (farthest-point sampling)."""
    distance = correlation_distances(pictures)
    chosen = [int(np.argmax(distance.sum(axis=1)))]
    while len(chosen) < min(count, len(pictures)):
        chosen.append(int(np.argmax(distance[:, chosen].min(axis=1))))
    return chosen


def receptive_field_size(model, layer):
    """Side, in input pixels, of what one neuron of ``layer`` sees: each layer widens it by
    (kernel - 1) times the input pixels between neighbouring neurons below it, and pools double that step."""
    size, step = 1, 1
    for part in model.layers:
        config = part.get_config()
        kernel = config.get("kernel_size", config.get("pool_size"))
        if kernel is not None:
            size += (kernel[0] - 1) * step
            step *= config["strides"][0]
        if part.name == layer:
            return size
    raise ValueError(layer)


def _blur(images):
    """A 3x3 binomial blur of each colour channel, edges reflected."""
    import tensorflow as tf

    kernel = np.outer([1, 2, 1], [1, 2, 1]).astype("float32") / 16
    kernel = np.tile(kernel[:, :, None, None], (1, 1, 3, 1))
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    return tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")


def maximise(model, layer, filters, size, rng):
    """Activation maximisation: for each filter, a size x size image that its neuron at the centre
    of ``layer``'s feature map responds to strongly, found by gradient ascent on the pixels."""
    import keras
    import tensorflow as tf

    conv = model.get_layer(layer)
    probe = keras.Model(model.inputs, conv.output)
    relu, conv.activation = conv.activation, keras.activations.linear  # below zero still has a slope
    try:
        pick = tf.one_hot(filters, conv.filters)  # row i selects filter i's channel
        side = max(size >> (AM_SCALES - 1), 8)
        # Small noise, not flat grey: flat grey gives every filter the same symmetric start.
        x = tf.constant(0.5 + 0.01 * rng.standard_normal((len(filters), side, side, 3)), tf.float32)
        for scale in range(AM_SCALES):
            if scale:
                side = min(2 * side, size)
                x = tf.image.resize(x, (side, side), "bicubic")
            for step in range(AM_STEPS // AM_SCALES):
                shift = [int(s) for s in rng.integers(-AM_JITTER, AM_JITTER + 1, 2)]
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    # Rolled inside the tape, so the gradient comes back unrolled: the image stays put
                    # under the centre neuron, but no pixel pattern can depend on its exact position.
                    out = probe(tf.roll(x, shift, axis=(1, 2)))
                    centre = out[:, out.shape[1] // 2, out.shape[2] // 2, :]
                    score = tf.reduce_sum(centre * pick)
                grad = tape.gradient(score, x)
                # Unit std per image: every filter climbs at the same pace, however large its gradient.
                x += AM_LEARNING_RATE * grad / (tf.math.reduce_std(grad, axis=(1, 2, 3), keepdims=True) + 1e-8)
                x = 0.5 + (1 - AM_DECAY) * (x - 0.5)
                if step % AM_BLUR_EVERY == 0:
                    x = _blur(x)
                x = tf.clip_by_value(x, 0, 1)  # the pixel range the network was trained on
    finally:
        conv.activation = relu
    return x.numpy()


def for_display(image, pixels):
    """The central ``pixels`` square (the neuron's receptive field), its contrast stretched.

    Only what the neuron sees: outside it the pixels carry no gradient and stay near grey.
    """
    pixels = min(pixels, image.shape[0])
    top = (image.shape[0] - pixels) // 2
    crop = image[top:top + pixels, top:top + pixels]
    low, high = np.percentile(crop, (1, 99))
    return np.clip((crop - low) / (high - low + 1e-8), 0, 1)


def save_grid(images, path, pixels, columns=3):
    """Receptive fields in a grid with white gaps, all drawn at the same size whatever their pixel count,
    so a shallow unit shows as a few big squares and a deep one as a fine picture. No titles: the
    picture alone has to say which layer it is."""
    import matplotlib.pyplot as plt

    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.2 * rows))
    for ax, image in zip(axes.flat, images):
        ax.imshow(for_display(image, pixels), interpolation="nearest")
    for ax in axes.flat:
        ax.axis("off")
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99, wspace=0.04, hspace=0.04)
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    pad_png(path, GRID_BYTES)


def pad_png(path, size):
    """Pad the PNG at ``path`` to exactly ``size`` bytes with a comment of spaces (a tEXt chunk before IEND).

    Compressed, a grid of a few big flat squares makes a far smaller file than one of fine detail: unpadded, the
    three grids' file sizes would tell the order the students are asked to find."""
    import struct
    import zlib

    png = pathlib.Path(path).read_bytes()
    spaces = size - len(png) - 12 - len(b"Comment\0")  # 12: the chunk's length, type and CRC
    if spaces < 0:
        raise SystemExit(f"{path} has {len(png)} bytes, more than GRID_BYTES ({size}): raise GRID_BYTES")
    data = b"tEXt" + b"Comment\0" + b" " * spaces
    chunk = struct.pack(">I", len(data) - 4) + data + struct.pack(">I", zlib.crc32(data))
    pathlib.Path(path).write_bytes(png[:-12] + chunk + png[-12:])  # the last 12 bytes are IEND


def optimised_size(field):
    """The smallest power-of-two image holding the receptive field with 4 pixels to spare on every side
    (so the zero padding at the border stays out of it), at most the training size."""
    return min(TRAIN_SIZE, 1 << int(np.ceil(np.log2(field + 8))))


def letter_order(seed=SEED):
    """The letters of the shallow, middle and deep sets, in that order, drawn with ``seed``.

    "ABC" and "CBA" are left out: a student could answer them from the letters alone.
    """
    orders = ["".join(p) for p in itertools.permutations("ABC")]
    orders = [order for order in orders if order not in ("ABC", "CBA")]
    return orders[np.random.default_rng(seed).integers(len(orders))]


def filters_to_show(model, layer, sample, rng):
    """The images and indices of the FILTERS_SHOWN filters of ``layer`` whose pictures differ most.

    The most active filters of a deep layer all climb to the same picture, so the nine shown are chosen
    from every live filter by their pictures: those whose own picture excites them at least EXCITED times
    the median of the layer's filters (a picture its filter barely responds to says little about it), then
    the nine most different from one another.
    """
    candidates = live_filters(model, layer, sample)
    field = receptive_field_size(model, layer)
    images = maximise(model, layer, candidates, optimised_size(field), rng)
    reached = centre_activation(model, layer, images, candidates)
    excited = np.flatnonzero(reached >= EXCITED * np.median(reached))
    picked = sorted(excited[most_different([for_display(images[i], field) for i in excited])])
    return images[picked], [candidates[i] for i in picked]


def make_filter_figures(model, sample, order):
    """filters_A.png, filters_B.png, filters_C.png; returns the filters shown, by layer."""
    shown = {}
    # Written in letter order, so that not even the files' times follow the depth; each layer has its
    # own seeded random numbers, so the order of writing cannot change a picture either.
    for letter, layer in sorted(zip(order, VISUALISED)):
        rng = np.random.default_rng([SEED, VISUALISED.index(layer)])
        images, shown[layer] = filters_to_show(model, layer, sample, rng)
        save_grid(images, FIG_DIR / f"filters_{letter}.png", receptive_field_size(model, layer))
    return shown


# --- provenance and answer key -----------------------------------------------------------------

VERSIONED = ("tensorflow", "keras", "numpy", "matplotlib", "scikit-image")


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def architecture(model):
    """Each layer's name, type and shape-defining settings, in network order."""
    settings = ("filters", "kernel_size", "strides", "padding", "activation", "pool_size", "units")
    summary = []
    for layer in model.layers:
        config = layer.get_config()
        entry = {"name": layer.name, "type": type(layer).__name__}
        entry.update({key: config[key] for key in settings if key in config})
        summary.append(entry)
    return summary


def write_provenance(model, training, shown, path=FIGURES_JSON):
    """figures.json: how to remake the figures and what they were made from, keyed by layer, never by letter."""
    from cnnlab.train import library_versions

    record = {
        "command": COMMAND,
        "seed": SEED,
        "figures": {png.name: sha256(png) for png in sorted(FIG_DIR.glob("*.png"))},
        "receptive_field": {"input_size": INPUT_SIZE,
                            "convolutions": [{"kernel": k, "stride": s} for k, s in CONVS]},
        "network": {"name": model.name, "parameters": model.count_params(), "layers": architecture(model)},
        "training": training,
        "activation_maximisation": {
            "method": "gradient ascent on the pixels (tools/make_figures.py: maximise)",
            "visualised_layers": {layer: {"filters": shown[layer]} for layer in VISUALISED},
            "filter_choice": (f"every filter with a positive mean activation on every 10th training image is "
                              f"maximised; of those whose picture excites them at least {EXCITED} times the layer's "
                              f"median, the {FILTERS_SHOWN} whose shown pictures differ most (greedy farthest-point "
                              f"selection on 1 - the pictures' correlation)"),
            "objective": "the filter's neuron at the centre of its feature map, activation made linear",
            "start": "grey (0.5) plus noise of std 0.01",
            "steps": AM_STEPS,
            "scales": AM_SCALES,
            "learning_rate": AM_LEARNING_RATE,
            "gradient": "scaled to unit std per image",
            "jitter": f"rolled by up to {AM_JITTER} pixels each step, the gradient rolled back",
            "decay_towards_grey": AM_DECAY,
            "blur": f"3x3 binomial every {AM_BLUR_EVERY} steps",
            "pixel_range": [0, 1],
            "shown": "each neuron's receptive field, contrast stretched (1st-99th percentile), drawn at a common size",
        },
        "versions": library_versions(VERSIONED),
        "python": platform.python_version(),
    }
    path.write_text(json.dumps(record, indent=2) + "\n")


def write_answer_key(order, path=ANSWER_KEY):
    """Set ``filter_order`` in the answer key, keeping every other key it holds."""
    key = json.loads(path.read_text()) if path.exists() else {}
    key["filter_order"] = order
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(key, indent=2) + "\n")


def draw_diagrams():
    """Draw the diagrams (no network in them) and record their sha256 in figures.json, where there is one."""
    for name, draw in DIAGRAMS.items():
        draw(FIG_DIR / name)
    if FIGURES_JSON.exists():
        record = json.loads(FIGURES_JSON.read_text())
        record["figures"].update({name: sha256(FIG_DIR / name) for name in DIAGRAMS})
        record["figures"] = dict(sorted(record["figures"].items()))
        FIGURES_JSON.write_text(json.dumps(record, indent=2) + "\n")


def main():
    # cnnlab first: it sets TensorFlow's environment, then imports it. Not at module level, so that
    # the tests can import this module's geometry without paying for TensorFlow.
    import cnnlab  # noqa: F401
    from cnnlab.data import load_horse2zebra

    start = time.perf_counter()
    FIG_DIR.mkdir(parents=True, exist_ok=True)
    draw_diagrams()
    data = load_horse2zebra("synthetic")
    model, training = train_vgg(data)
    order = letter_order()
    shown = make_filter_figures(model, shrink(data.train.images[::10]), order)
    write_answer_key(order)
    write_provenance(model, training, shown)
    print(f"figures in {FIG_DIR.relative_to(ROOT)}, filter_order {order} in {ANSWER_KEY.relative_to(ROOT)}, "
          f"test accuracy {training['test_accuracy']}, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--diagrams"]:  # the diagrams alone, in seconds: no training
        draw_diagrams()
    else:
        main()

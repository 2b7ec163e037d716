"""Regenerate every figure the Section 2 notebook shows, and the answer key of breakout room 1A.

    .venv/bin/python tools/make_figures.py

Writes, from code only:
- ``source/sec02/fig/receptive_field.png``: the ice-breaker diagram, its squares found by pushing
  index ranges back through the convolutions' kernels and strides;
- ``source/sec02/fig/filters_{A,B,C}.png``: activation maximisation of a shallow, a middle and a deep
  layer of a small VGG-style network trained here, shuffled onto the letters by a seeded draw;
- ``source/sec02/fig/figures.json``: where the figures came from, with each PNG's sha256;
- ``autograder/answer_key.json``'s ``filter_order``: the letters from shallow to deep.

source/sec02 ships to students, so nothing written there may tie a letter to a depth: the only record
of the draw is the answer key under autograder/.
"""
import hashlib
import itertools
import json
import pathlib
import platform
import sys
import time
from dataclasses import dataclass

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "source" / "sec02"
FIG_DIR = ASSIGNMENT / "fig"
FIGURES_JSON = FIG_DIR / "figures.json"
ANSWER_KEY = ROOT / "autograder" / "answer_key.json"
COMMAND = ".venv/bin/python tools/make_figures.py"
SEED = 109

if str(ASSIGNMENT) not in sys.path:
    sys.path.insert(0, str(ASSIGNMENT))
import cnnlab  # noqa: E402,F401  (sets TensorFlow's environment before anything imports it)


# --- ice-breaker: the receptive field of a neuron two convolutions up --------------------------

INPUT_SIZE = 7  # layer 1, the input, is INPUT_SIZE x INPUT_SIZE neurons
CONVS = ((3, 2), (2, 1))  # (kernel, stride) of the convolution that makes layer 2, then layer 3

COLOURS = {"purple": "#7b3294", "red": "#d7301f", "blue": "#2166ac"}
FILL_ALPHA = {"purple neuron": 0.95, "purple square": 0.22, "red square": 0.25, "blue square": 0.10}


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
    """The four marked regions of the diagram, by colour name."""
    top = len(convs) + 1
    purple = Region(top, (0, 0), (0, 0))
    return {
        "purple neuron": purple,
        "purple square": read_by(purple, convs),
        "red square": read_by(Region(top - 1, (0, 0), (0, 0)), convs),
        "blue square": receptive_field(purple, convs),
    }


# Oblique projection of the stacked layers: row r of a layer recedes up and to the right.
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
    """Corners of the cells rows[0]..rows[1] x cols[0]..cols[1], as a closed polygon."""
    (r0, r1), (c0, c1) = rows, (cols[0], cols[1] + 1)
    r1 += 1
    return [_to_screen(origin, n, r, c) for r, c in ((r0, c0), (r0, c1), (r1, c1), (r1, c0))]


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


def _cell_centre(origin, n, row, col):
    return _to_screen(origin, n, row + 0.5, col + 0.5)


def _draw_wires(ax, start, origin, n, region, colour, zorder):
    """A dot on one neuron and faint lines from it down to the corners of the region it reads."""
    ax.plot(*start, marker="o", markersize=7, color=colour, markeredgecolor="white", zorder=zorder + 10)
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
    # Inset, so that the red square's edges stay visible where they run along the blue ones.
    _draw_region(ax, origins[0], sizes[0], regions["red square"], "red square", 3, inset=0.12)
    layer2_neuron = _cell_centre(origins[1], sizes[1], 0, 0)
    _draw_wires(ax, layer2_neuron, origins[0], sizes[0], regions["red square"], COLOURS["red"], 4)

    _draw_layer(ax, origins[1], sizes[1], zorder=5)
    _draw_region(ax, origins[1], sizes[1], regions["purple square"], "purple square", 6)
    purple = regions["purple neuron"]
    neuron = _cell_centre(origins[2], sizes[2], purple.rows[0], purple.cols[0])
    _draw_wires(ax, neuron, origins[1], sizes[1], regions["purple square"], COLOURS["purple"], 7)

    _draw_layer(ax, origins[2], sizes[2], zorder=8)
    _draw_region(ax, origins[2], sizes[2], purple, "purple neuron", 9)

    _label_layers(ax, sizes, origins, convs)
    _legend(ax, regions)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.axis("off")
    fig.savefig(path, dpi=120, bbox_inches="tight", facecolor="white")
    plt.close(fig)


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
              fontsize=11)


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
BATCH_SIZE = 64
VISUALISED = ("block1_conv1", "block2_conv2", "block4_conv2")  # shallow, middle, deep
FILTERS_SHOWN = 9


def build_vgg(filters=VGG_FILTERS):
    """VGG in miniature: blocks of two 3x3 "same" convolutions and a 2x2 max-pool, then a softmax.

    Global average pooling instead of Flatten lets the network take any image size, so activation
    maximisation need not use the training size.
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
    outputs = layers.Dense(2, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="vgg_mini")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def shrink(images, factor=128 // TRAIN_SIZE):
    """Average-pool (N, H, W, C) images by ``factor`` in both directions."""
    n, h, w, c = images.shape
    return images.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def train_vgg(data, seed=SEED, epochs=EPOCHS):
    """The trained network and a record of its training."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_vgg()
    start = time.perf_counter()
    history = model.fit(shrink(data.train.images), data.train.labels, epochs=epochs, batch_size=BATCH_SIZE,
                        shuffle=True, verbose=2)
    probs = model.predict(shrink(data.test.images), batch_size=256, verbose=0)
    record = {
        "data_source": data.source,
        "data_sha256": data.fingerprint,
        "image_size": TRAIN_SIZE,
        "epochs": epochs,
        "batch_size": BATCH_SIZE,
        "train_accuracy": round(float(history.history["accuracy"][-1]), 4),
        "test_accuracy": round(float(np.mean(probs.argmax(axis=-1) == data.test.labels)), 4),
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    return model, record


def most_active_filters(model, layer, images, count=FILTERS_SHOWN):
    """The ``count`` channels of ``layer`` with the largest mean activation on ``images``, in order.

    Dead or nearly silent filters would give blank pictures that teach nothing.
    """
    import keras

    probe = keras.Model(model.inputs, model.get_layer(layer).output)
    mean = probe.predict(images, batch_size=64, verbose=0).mean(axis=(0, 1, 2))
    return sorted(np.argsort(mean)[::-1][:count].tolist())


def maximise(model, layer, filters, size, steps, seed, lr=0.05, jitter=2, tv=1.0, l2=0.3):
    """Activation maximisation: images that drive each of ``filters`` of ``layer`` hardest."""
    import keras
    from tf_keras_vis.activation_maximization import ActivationMaximization
    from tf_keras_vis.activation_maximization.input_modifiers import Jitter
    from tf_keras_vis.activation_maximization.regularizers import Norm, TotalVariation2D
    from tf_keras_vis.utils.model_modifiers import ExtractIntermediateLayer, ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    # Linear, so that a filter that starts below zero everywhere still gets a gradient.
    visualiser = ActivationMaximization(model, model_modifier=[ExtractIntermediateLayer(layer), ReplaceToLinear()])
    rng = np.random.default_rng(seed)
    start = rng.uniform(0.45, 0.55, (len(filters), size, size, 3)).astype("float32")
    images = visualiser(CategoricalScore(list(filters)), seed_input=start, input_range=(0.0, 1.0), steps=steps,
                        input_modifiers=[Jitter(jitter=jitter)],
                        regularizers=[TotalVariation2D(weight=tv), Norm(weight=l2, p=2)],
                        optimizer=keras.optimizers.Adam(learning_rate=lr))
    return np.asarray(images)


def save_grid(images, path, columns=3):
    """Images, each contrast-stretched on its own, in a grid with white gaps and no titles."""
    import matplotlib.pyplot as plt

    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.2 * rows))
    for ax, image in zip(axes.flat, images):
        low, high = np.percentile(image, (1, 99))
        ax.imshow(np.clip((image - low) / max(high - low, 1e-6), 0, 1), interpolation="nearest")
    for ax in axes.flat:
        ax.axis("off")
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99, wspace=0.04, hspace=0.04)
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)

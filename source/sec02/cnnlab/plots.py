"""Small plotting helpers for the notebook: the figures are the point, not the matplotlib code."""
import json
import pathlib

import matplotlib.pyplot as plt
import numpy as np

from cnnlab.data import CLASS_NAMES


def show_examples(split, n=4, title=None):
    """The first ``n`` images of a split, titled with their class."""
    fig, ax = plt.subplots(1, n, figsize=(3 * n, 3))
    for i, axis in enumerate(np.ravel(ax)):
        axis.imshow(split.images[i])
        axis.set_title(f"class {split.labels[i]} ({CLASS_NAMES[split.labels[i]]})")
        axis.axis("off")
    if title:
        fig.suptitle(title)
    return fig


def show_channels(feature_maps, n=5, title=None, cmap="Blues_r"):
    """The ``n`` channels that vary most over one image's feature maps, shaped (H, W, C) (channels last).

    Channels are shown in decreasing order of their spatial standard deviation, each titled with its index in
    the layer. Many channels after a ReLU do not respond to a given image at all: they are zero everywhere and
    would show as one flat colour, so the first channels by index are often not worth looking at.
    """
    feature_maps = np.asarray(feature_maps)
    most_varied = np.argsort(-feature_maps.std(axis=(0, 1)), kind="stable")[:n]
    fig, ax = plt.subplots(1, n, figsize=(3 * n, 3))
    for channel, axis in zip(most_varied, np.ravel(ax)):
        axis.imshow(feature_maps[:, :, channel], cmap=cmap)
        axis.set_title(f"channel {channel}")
        axis.axis("off")
    if title:
        fig.suptitle(title)
    return fig


def show_maps(image, maps, titles, cmap="jet", alpha=0.5):
    """An image, then each (H, W) map laid over it."""
    fig, ax = plt.subplots(1, len(maps) + 1, figsize=(3.5 * (len(maps) + 1), 3.5))
    ax[0].imshow(image)
    ax[0].set_title("input")
    for axis, heat, title in zip(ax[1:], maps, titles):
        axis.imshow(image)
        axis.imshow(heat, cmap=cmap, alpha=alpha, vmin=0, vmax=1)
        axis.set_title(title)
    for axis in ax:
        axis.axis("off")
    return fig


def plot_history(history, title=None):
    """Training and validation loss per epoch: from a Keras ``History``, its ``.history`` dict, or the JSON file
    ``cnnlab.train`` saves beside a model."""
    if isinstance(history, (str, pathlib.Path)):
        history = json.loads(pathlib.Path(history).read_text())
    history = getattr(history, "history", history)
    fig, axis = plt.subplots(figsize=(6, 3.5))
    for key in ("loss", "val_loss"):
        axis.plot(range(1, len(history[key]) + 1), history[key], label=key)
    axis.set_xlabel("epoch")
    axis.legend()
    if title:
        axis.set_title(title)
    return fig

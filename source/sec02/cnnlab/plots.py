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
        axis.imshow(split.image(i))
        axis.set_title(f"class {split.labels[i]} ({CLASS_NAMES[split.labels[i]]})")
        axis.axis("off")
    if title:
        fig.suptitle(title)
    return fig


def show_predictions(models, sets, per_class=4):
    """The first ``per_class`` horses and zebras of each of ``sets`` ({name: Split}), one row a set, each image
    titled with its class and what each of ``models`` ({name: model}) predicts for it: in red where one is wrong.

    Returns the figure and {set: {model: the predicted labels of the images shown, in their order}}."""
    from cnnlab.models import predict_labels  # here: the rest of this module needs no Keras

    fig, ax = plt.subplots(len(sets), 2 * per_class, figsize=(2.4 * 2 * per_class, 3.0 * len(sets)), squeeze=False)
    predicted = {}
    for axes, (name, split) in zip(ax, sets.items()):
        rows = np.concatenate([np.flatnonzero(split.labels == label)[:per_class] for label in (0, 1)])
        images, labels = split.image(rows), split.labels[rows]
        predicted[name] = {model: predict_labels(net, images) for model, net in models.items()}
        for i, axis in enumerate(axes[:len(rows)]):
            axis.imshow(images[i])
            guesses = "\n".join(f"{model}: {CLASS_NAMES[p[i]]}" for model, p in predicted[name].items())
            wrong = any(p[i] != labels[i] for p in predicted[name].values())
            axis.set_title(f"{name}: a {CLASS_NAMES[labels[i]]}\n{guesses}", color="red" if wrong else "black",
                           fontsize=9)
        for axis in axes:
            axis.axis("off")
    fig.tight_layout()
    return fig, predicted


def show_channels(feature_maps, n=5, title=None, cmap="Blues_r", channels=None):
    """The ``n`` channels that vary most over one image's feature maps, shaped (H, W, C) (channels last), or the
    ``channels`` given.

    Channels are shown in decreasing order of their spatial standard deviation, each titled with its index in
    the layer. After a ReLU, many channels are zero on most of a given image and would show as nearly one flat
    colour, so the first channels by index are often not worth looking at.
    """
    feature_maps = np.asarray(feature_maps)
    if channels is None:
        channels = np.argsort(-feature_maps.std(axis=(0, 1)), kind="stable")[:n]
    fig, ax = plt.subplots(1, len(channels), figsize=(3 * len(channels), 3), squeeze=False)
    for channel, axis in zip(channels, np.ravel(ax)):
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


def show_signed(images, signed_maps, titles):
    """Each image beside its signed map (H, W) in [-1, 1]: red pushes one way, blue the other, white neither."""
    fig, ax = plt.subplots(1, 2 * len(images), figsize=(3.5 * 2 * len(images), 3.5))
    for pair, image, signed, title in zip(np.reshape(ax, (-1, 2)), images, signed_maps, titles):
        pair[0].imshow(image)
        shown = pair[1].imshow(signed, cmap="bwr", vmin=-1, vmax=1)
        pair[1].set_title(title)
        fig.colorbar(shown, ax=pair[1], fraction=0.046)
    for axis in np.ravel(ax):
        axis.axis("off")
    return fig


def plot_history(history, title=None, patience=None):
    """Training and validation loss per epoch: from a Keras ``History``, its ``.history`` dict, or the JSON file
    ``cnnlab.train`` saves beside a model. The epoch of the lowest val_loss is marked (the one ModelCheckpoint
    keeps); with ``patience``, EarlyStopping's, so is the stop when training ran ``patience`` epochs past it."""
    if isinstance(history, (str, pathlib.Path)):
        history = json.loads(pathlib.Path(history).read_text())
    history = getattr(history, "history", history)
    fig, axis = plt.subplots(figsize=(6, 3.5))
    for key in ("loss", "val_loss"):
        axis.plot(range(1, len(history[key]) + 1), history[key], label=key)
    best = best_epoch(history)
    axis.axvline(best, color="green", linestyle="--", label=f"best val_loss: epoch {best} (kept)")
    last = len(history["val_loss"])
    if patience is not None and last - best >= patience:
        axis.axvline(last, color="red", linestyle=":", label=f"early stop: epoch {last}, {patience} without improving")
    axis.set_xlabel("epoch")
    axis.legend()
    if title:
        axis.set_title(title)
    return fig


def best_epoch(history):
    """The epoch (from 1) of the lowest val_loss: the first one, on a tie, as ModelCheckpoint keeps it."""
    return int(np.argmin(history["val_loss"])) + 1

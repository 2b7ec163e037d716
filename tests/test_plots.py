"""cnnlab.plots: what the notebook's figures show is what their functions say. No trained model: a second."""
import matplotlib
import numpy as np

from cnnlab.data import Split
from cnnlab.plots import show_predictions

matplotlib.use("Agg")


class Guesses:
    """A stand-in for a model: P(horse), P(zebra) from a rule on the image's first pixel."""

    def __init__(self, rule):
        self.rule = rule

    def predict_on_batch(self, images):
        zebra = np.array([self.rule(image) for image in images], dtype=np.float32)
        return np.stack([1 - zebra, zebra], axis=1)


def _split(labels, seed):
    # Each image's first pixel holds its index in the split (tenths), so that a title can be traced to its image.
    images = np.random.default_rng(seed).uniform(size=(len(labels), 4, 4, 3)).astype(np.float32)
    images[:, 0, 0, 0] = np.arange(len(labels)) / 10
    return Split(images, np.asarray(labels, dtype=np.int64))


def _index(image):
    return int(round(float(image[0, 0, 0]) * 10))


def test_show_predictions_shows_the_first_of_each_class_with_each_models_guess():
    sets = {"test": _split([0, 1, 0, 1, 0, 0, 1, 1, 1], seed=1), "shifted": _split([1, 1, 0, 0, 0, 1, 1], seed=2)}
    models = {"always zebra": Guesses(lambda image: 1.0), "odd index": Guesses(lambda image: _index(image) % 2)}
    fig, predicted = show_predictions(models, sets, per_class=2)
    shown = {"test": [0, 2, 1, 3], "shifted": [2, 3, 0, 1]}  # the first two horses, then the first two zebras
    for row, (name, split) in zip((fig.axes[:4], fig.axes[4:]), sets.items()):
        assert np.array_equal(predicted[name]["always zebra"], [1, 1, 1, 1])
        assert np.array_equal(predicted[name]["odd index"], [i % 2 for i in shown[name]])
        for axis, index in zip(row, shown[name]):
            assert _index(axis.get_images()[0].get_array()) == index
            label = split.labels[index]
            title = axis.get_title()
            assert title.startswith(f"{name}: a {('horse', 'zebra')[label]}\n")
            assert f"always zebra: zebra\nodd index: {('horse', 'zebra')[index % 2]}" in title
            wrong = label != 1 or index % 2 != label
            assert matplotlib.colors.same_color(axis.title.get_color(), "red" if wrong else "black"), title

"""The gradient maps of cnnlab.maps on a small two-class model, and the history plot's marks."""
import json

import keras
import numpy as np
import pytest

from cnnlab import maps, plots


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(1000)  # not one of the seeds randomised_copies draws with (1, 2, 3)
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5, activation="relu", name="dense")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs)


def _image():
    return np.random.default_rng(0).random((12, 12, 3), dtype=np.float32)


def test_logit_gradients_match_finite_differences(model):
    image, gradients = _image(), maps.logit_gradients(model, _image())
    last = model.layers[-1]
    features = keras.Model(model.inputs, last.input)

    def logit(x, c):
        return float((np.asarray(features(x[None])) @ np.asarray(last.kernel) + np.asarray(last.bias))[0, c])

    step = np.zeros_like(image)
    step[5, 6, 1] = 1e-2
    for c in (0, 1):
        estimate = (logit(image + step, c) - logit(image - step, c)) / 2e-2
        assert estimate == pytest.approx(gradients[c, 5, 6, 1], rel=0.05, abs=1e-4)


def test_the_signed_map_is_the_difference_of_the_two_gradients(model):
    gradients = maps.logit_gradients(model, _image())
    expected = (gradients[1] - gradients[0]).sum(axis=-1)
    signed = maps.signed_difference(model, _image())
    assert np.abs(signed).max() == pytest.approx(1)
    assert maps.cosine(signed, expected) == pytest.approx(1)
    assert maps.cosine(expected, -expected) == pytest.approx(-1)


def test_gradient_times_input_is_each_pixels_term_of_the_difference(model):
    image = _image()
    gradients = maps.logit_gradients(model, image)
    expected = ((gradients[1] - gradients[0]) * image).sum(axis=-1)
    assert np.allclose(maps.signed_difference(model, image, times_input=True, scaled=False), expected, atol=1e-6)
    assert np.allclose(maps.signed_difference(model, image, scaled=False), (gradients[1] - gradients[0]).sum(-1))


def test_negative_share():
    assert maps.negative_share([3.0, -1.0, 0.0]) == pytest.approx(0.25)
    assert maps.negative_share([0.0, 0.0]) == 0.0


def _tf_keras_vis_saliency(model):
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    return Saliency(model, model_modifier=ReplaceToLinear(), clone=True)


def _correlations(maps_a, maps_b):
    return [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(maps_a, maps_b)]


def test_smoothgrad_without_noise_is_tf_keras_vis_vanilla_saliency(model):
    from tf_keras_vis.utils.scores import CategoricalScore

    images, classes = np.random.default_rng(1).random((3, 12, 12, 3), dtype=np.float32), [1, 0, 1]
    expected = _tf_keras_vis_saliency(model)(CategoricalScore(classes), images)
    # batches of 2: the last is shorter; each image's map is for its own class
    found = maps.smoothgrad(model, images, classes, samples=1, noise=0.0, batch_size=2)
    assert found.shape == (3, 12, 12)
    np.testing.assert_allclose(found, expected, atol=1e-6)


def test_smoothgrad_adds_noise_on_tf_keras_vis_scale(model):
    """Both averaged over 200 noisy copies: the same maps, up to the noise of the average (r >= 0.994 measured);
    noise 4 times weaker or 2.5 times stronger than tf-keras-vis' gives r <= 0.988 on one image of the three."""
    from tf_keras_vis.utils.scores import CategoricalScore

    images, classes = np.random.default_rng(0).random((3, 12, 12, 3), dtype=np.float32), [1, 0, 1]
    np.random.seed(0)  # tf-keras-vis draws its noise with numpy's global generator
    expected = _tf_keras_vis_saliency(model)(CategoricalScore(classes), images, smooth_samples=200, smooth_noise=0.2)
    found = maps.smoothgrad(model, images, classes, samples=200, noise=0.2, batch_size=2)
    assert min(_correlations(found, expected)) >= 0.99
    for wrong in (0.05, 0.5):
        assert min(_correlations(maps.smoothgrad(model, images, classes, samples=200, noise=wrong), expected)) < 0.99


def test_the_maps_of_many_images_are_the_exercises_maps(model):
    """maps.saliency and maps.gradcam, a batch at a time in a traced graph, against the reference solutions of
    vanilla_saliency and gradcam, one image at a time, eagerly."""
    from solutions import sec02

    images, classes = np.random.default_rng(2).random((3, 12, 12, 3), dtype=np.float32), [1, 0, 1]
    # batches of 2: the last is shorter; each image's map is for its own class
    expected = [sec02.vanilla_saliency(model, x, c) for x, c in zip(images, classes)]
    np.testing.assert_allclose(maps.saliency(model, images, classes, batch_size=2), expected, atol=1e-5)
    expected = [sec02.gradcam(model, x, c, "conv") for x, c in zip(images, classes)]
    found = maps.gradcam(model, images, classes, "conv", batch_size=2)
    assert found.shape == (3, 12, 12)
    # Scaled to [0, 1] over the map's range plus Keras' epsilon (1e-7), the solution's plus 1e-12: this small model's
    # Grad-CAM maps are faint (the third's range is about 2e-4), so the two differ by a relative 5e-4 at most
    np.testing.assert_allclose(found, expected, rtol=1e-3, atol=1e-6)
    # another class, another map: each image's class is the one used
    assert not np.allclose(maps.gradcam(model, images, [0, 1, 0], "conv"), found, atol=1e-2)


def test_randomised_copies_reinitialise_from_the_output_back(model):
    copies = maps.randomised_copies(model)
    assert [name for name, _ in copies] == ["predictions", "dense", "conv"]
    for depth, (_, copy) in enumerate(copies, start=1):
        changed = [not all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), copy.get_layer(layer.name).get_weights()))
                   for layer in model.layers if layer.weights]
        assert changed == [False] * (3 - depth) + [True] * depth, (depth, changed)
    assert [name for name, _ in maps.randomised_copies(model, depths=[3])] == ["conv"]


def test_the_history_plot_marks_the_kept_epoch_and_the_early_stop(tmp_path):
    history = {"loss": [5, 4, 3, 2, 1, 0.5], "val_loss": [5, 4, 2, 3, 3, 4]}
    assert plots.best_epoch(history) == 3
    path = tmp_path / "h.json"
    path.write_text(json.dumps(history))
    labels = [line.get_label() for line in plots.plot_history(path, patience=3).axes[0].lines]
    assert any("epoch 3" in label for label in labels) and any("early stop: epoch 6" in label for label in labels)
    labels = [line.get_label() for line in plots.plot_history(history, patience=4).axes[0].lines]
    assert not any("early stop" in label for label in labels)


@pytest.mark.parametrize("model_name", ["cnn1", "cnn2"])
def test_the_shipped_histories_agree_with_their_provenance(model_name):
    from tests.conftest import ASSIGNMENT

    record = json.loads((ASSIGNMENT / "data" / f"{model_name}.provenance.json").read_text())
    history = json.loads((ASSIGNMENT / "data" / f"{model_name}.history.json").read_text())
    assert plots.best_epoch(history) == record["best_epoch"] and len(history["val_loss"]) == record["epochs_run"]


def _last_input_pixel_seen(model):
    """Walk back from the last neuron of the last convolution: the highest input index any neuron there sees."""
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    last = convs[-1].output.shape[1] - 1
    for layer in reversed(convs):  # "same" pads with even kernels at the end, so the rule is the same for both
        last = last * layer.strides[0] + layer.dilation_rate[0] * (layer.kernel_size[0] - 1)
    return last


def test_the_blank_strip_of_the_shipped_maps_is_what_no_conv5_neuron_sees():
    from cnnlab.data import load_horse2zebra
    from tests.conftest import ASSIGNMENT

    cnn2 = keras.models.load_model(ASSIGNMENT / "data" / "cnn2.keras")
    image = load_horse2zebra("synthetic")["testB"].images[0]
    strength = np.abs(maps.logit_gradients(cnn2, image)).sum(axis=(0, -1))
    seen = _last_input_pixel_seen(cnn2)
    assert 128 - 1 - seen == 12, "the notebook's question expects a 12-pixel strip"
    assert not strength[seen + 1:, :].any() and not strength[:, seen + 1:].any()
    assert strength[seen, :].any() and strength[:, seen].any()


@pytest.mark.parametrize("stack, expected", [
    ([(3, 1, 1)], 3),
    ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15),   # 1 + 2 + 4 + 8
    ([(3, 2, 1), (3, 1, 1)], 7),               # 1 + 2, then 2 more at a jump of 2
    ([(2, 1, 1), (3, 2, 1), (3, 2, 1), (2, 2, 1), (2, 2, 1)], 20),  # cnn1's convolutions
])
def test_the_measured_receptive_field_is_the_formula(stack, expected):
    layers = [keras.layers.Conv2D(1, k, strides=s, dilation_rate=d) for k, s, d in stack]
    measured, _ = maps.measured_receptive_field(layers, size=64)
    assert measured == expected

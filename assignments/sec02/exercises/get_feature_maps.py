"""Exercise 3: ``get_feature_maps(model, layer_name, img)``, the activations of one layer for one image."""
import numpy as np

from assignments.sec02.exercises.inputs import images, models
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import as_array, got

CASES = [("cnn1", "conv3"), ("cnn1", "conv5"), ("cnn2", "conv2"), ("cnn2", "conv4")]  # one per grading image


def record(answer, out):
    for i, ((model_name, layer), img) in enumerate(zip(CASES, images())):
        call(out, str(i), lambda: recorded(answer(models()[model_name], layer, img)))


def expected(reference):
    return {str(i): reference.get_feature_maps(models()[model_name], layer, img)
            for i, ((model_name, layer), img) in enumerate(zip(CASES, images()))}


def judge(record, expected):
    for i, (model_name, layer) in enumerate(CASES):
        want = expected[str(i)]
        what = f"get_feature_maps({model_name}, {layer!r}, image)"
        value = as_array(got(record, str(i), what), "get_feature_maps")
        assert value.shape == want.shape, (f"{what}: shape {value.shape}, expected (height, width, channels) = "
                                           f"{want.shape}")
        scale = max(1.0, float(np.abs(want).max()))
        assert np.allclose(value, want, rtol=1e-4, atol=1e-4 * scale), (
            f"{what}: the values are not the activations of layer {layer!r} for this image")

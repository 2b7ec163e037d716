"""Breakout 2: ``model_modifier(m)``, the model with its last layer made linear (class scores, not probabilities)."""
import numpy as np

from assignments.sec02.exercises.inputs import fresh_cnn2, images, randomised, three_class_model
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import as_array, got


def cases():
    return [fresh_cnn2(), randomised(three_class_model())]


def record(answer, out):
    img = images()[1]
    for i, model in enumerate(cases()):
        def scores():
            modified = answer(model)
            return "None" if modified is None else recorded(modified(img[np.newaxis], training=False))
        call(out, str(i), scores)


def _logits(model, img):
    import keras

    last = model.layers[-1]
    hidden = keras.Model(model.inputs, last.input)(img[np.newaxis], training=False)
    return np.asarray(hidden) @ np.asarray(last.kernel) + np.asarray(last.bias)


def expected(reference):
    """The class scores before the last activation, from the last layer's input, kernel and bias."""
    return {str(i): _logits(model, images()[1]) for i, model in enumerate(cases())}


def judge(record, expected):
    for i in range(len(expected)):
        want = expected[str(i)]
        value = got(record, str(i), "model_modifier")
        assert not (isinstance(value, str) and value == "None"), "model_modifier should return the model"
        value = as_array(value, "the returned model's output")
        assert value.shape == want.shape, f"model_modifier: the model's output has shape {value.shape}, expected {want.shape}"
        assert np.allclose(value, want, rtol=1e-4, atol=1e-4), (
            "model_modifier: the returned model's outputs are not the class scores before the softmax")

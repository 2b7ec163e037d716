"""Exercise 2: ``receptive_field(layers)``, in input pixels, of a neuron of the last layer of a stack."""
import numpy as np

from assignments.sec02.exercises.inputs import GRADING_SEED
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import got, number

THREE_3X3 = [(3, 1, 1)] * 3
DILATED_TUPLE = ((3, 1, 1), (3, 1, 2), (3, 1, 4))


def _stacks(rng, count, keras_compatible):
    stacks = []
    for _ in range(count):
        stack = []
        for _ in range(int(rng.integers(1, 6))):
            kernel, stride, dilation = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
            if keras_compatible and stride > 1:  # Keras cannot stride and dilate at once
                dilation = 1
            stack.append((kernel, stride, dilation))
        stacks.append(stack)
    return stacks


def cases():
    """(stacks a real Keras model can be built from, stacks of any layers)."""
    rng = np.random.default_rng(GRADING_SEED)
    return _stacks(rng, 12, keras_compatible=True), _stacks(rng, 30, keras_compatible=False)


def record(answer, out):
    keras_stacks, other_stacks = cases()
    for i, stack in enumerate(keras_stacks + other_stacks):
        call(out, str(i), lambda: recorded(answer(stack)))
    call(out, "three_3x3", lambda: recorded(answer(THREE_3X3)))
    call(out, "tuple", lambda: recorded(answer(DILATED_TUPLE)))


def _measured(layers, size):
    """The receptive field of a real Keras stack, read off the gradient of one output neuron.

    Weights are all ones and there is no activation, so no gradient cancels inside the field.
    """
    import keras
    import tensorflow as tf

    inputs = keras.Input(shape=(size, 1))
    x = inputs
    for kernel, stride, dilation in layers:
        x = keras.layers.Conv1D(1, kernel, strides=stride, dilation_rate=dilation, use_bias=False,
                                kernel_initializer="ones")(x)
    model = keras.Model(inputs, x)
    image = tf.zeros((1, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        out = model(image)
        neuron = out[0, out.shape[1] // 2, 0]
    touched = np.nonzero(tape.gradient(neuron, image).numpy()[0, :, 0])[0]
    return int(touched[-1] - touched[0] + 1)


def expected(reference):
    """Measured on real Keras stacks where Keras can build them, else the reference's."""
    keras_stacks, other_stacks = cases()
    fields = [_measured(stack, 4 * reference.receptive_field(stack) + 64) for stack in keras_stacks]
    fields += [reference.receptive_field(stack) for stack in other_stacks]
    return {"fields": np.array(fields), "measured": np.arange(len(fields)) < len(keras_stacks),
            "three_3x3": _measured(THREE_3X3, 64), "tuple": _measured(DILATED_TUPLE, 64)}


def judge(record, expected):
    keras_stacks, other_stacks = cases()
    for i, stack in enumerate(keras_stacks + other_stacks):
        call_text = f"receptive_field({stack})"
        value, want = number(got(record, str(i), call_text), call_text), int(expected["fields"][i])
        if expected["measured"][i]:
            assert value == want, (f"{call_text} returned {value:g}, but the gradient of a real Keras "
                                   f"model with these layers reaches {want} input pixels")
        else:
            assert value == want, f"{call_text} returned {value:g}, expected {want}"
    call_text = "receptive_field([(3, 1, 1)] * 3)"
    assert number(got(record, "three_3x3", call_text), call_text) == expected["three_3x3"], (
        "three stacked 3x3 convolutions should see 7 pixels")
    call_text = f"receptive_field({DILATED_TUPLE})"
    value = number(got(record, "tuple", call_text), call_text)
    assert value == expected["tuple"], f"receptive_field should accept any sequence of layers (a tuple gave {value:g})"

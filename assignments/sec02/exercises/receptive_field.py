"""Exercise 2: ``receptive_field(layers)``, in input pixels, of a neuron of the last layer of a stack."""
import numpy as np

from assignments.sec02.exercises.inputs import GRADING_SEED
from autograder.exercises.recording import call, recorded
from autograder.exercises.judging import got, number, unless_right, wrong_cases

THREE_3X3 = [(3, 1, 1)] * 3
DILATED_TUPLE = ((3, 1, 1), (3, 1, 2), (3, 1, 4))
RUBRIC = {
    "strides": (1, "strides: a layer's kernel reaches as far as the strides below it multiply"),
    "dilation": (1, "dilation: a kernel of size k dilated by d spans d (k - 1) + 1 pixels"),
}


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


def _group(stack):
    """Which sub-check a stack tests: neither (plain 3x3s and the like, which every part needs), one, or both."""
    strided, dilated = any(stride > 1 for _, stride, _ in stack), any(dilation > 1 for _, _, dilation in stack)
    return {(False, False): None, (True, False): "strides", (False, True): "dilation", (True, True): "both"}[
        strided, dilated]


def _check(record, key, call_text, want, why):
    def check():
        value = number(got(record, key, call_text), call_text)
        assert value == want, f"{call_text} returned {value:g}, {why.format(want=want)}"
    return check


def judge(record, expected):
    keras_stacks, other_stacks = cases()
    checks = []
    for i, stack in enumerate(keras_stacks + other_stacks):
        why = ("but the gradient of a real Keras model with these layers reaches {want} input pixels"
               if expected["measured"][i] else "expected {want}")
        checks.append((_group(stack), _check(record, str(i), f"receptive_field({stack})", int(expected["fields"][i]),
                                              why)))
    checks.append((None, _check(record, "three_3x3", "receptive_field([(3, 1, 1)] * 3)", int(expected["three_3x3"]),
                                "but three stacked 3x3 convolutions see {want} pixels")))
    checks.append(("dilation", _check(record, "tuple", f"receptive_field({DILATED_TUPLE})", int(expected["tuple"]),
                                      "expected {want}: it should accept any sequence of layers")))
    wrong = wrong_cases(checks)
    if None in wrong:  # wrong on plain stacks: no part is right
        raise AssertionError(wrong[None])
    failed = {name: wrong[name] for name in RUBRIC if name in wrong}
    if "both" in wrong and not failed:  # right on strides alone and on dilation alone, wrong where they meet
        failed["dilation"] = wrong["both"]
    unless_right(failed)

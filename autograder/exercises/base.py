"""What the exercises share: the grading inputs, recording a student's answers, records on disk, judging.

Imports numpy only at module level: the judge's process never loads TensorFlow.
"""
import functools
import os
import pathlib
import stat

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "release" / "sec02"  # what the students were given: cnnlab and the two models
GRADING_SEED = 2021  # the grading images, models and stacks
LARGEST = 10_000_000  # numbers in one recorded value; a correct answer returns at most 200,000


# --- the grading inputs --------------------------------------------------------------------------

@functools.cache
def models():
    import keras

    return {name: keras.models.load_model(ASSIGNMENT / "data" / f"{name}.keras") for name in ("cnn1", "cnn2")}


def fresh_cnn2():
    """An independent copy, so that an answer that edits the model it is given cannot affect the next call."""
    import keras

    return keras.models.load_model(ASSIGNMENT / "data" / "cnn2.keras")


def three_class_model():
    """A model the students never saw: other layer names, three softmax classes, seeded weights."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(GRADING_SEED)
    inputs = keras.Input(shape=(128, 128, 3))
    x = layers.Conv2D(8, 3, strides=2, activation="relu", name="block_a")(inputs)
    x = layers.Conv2D(12, 3, strides=2, activation="relu", name="block_b")(x)
    x = layers.Conv2D(16, 3, strides=2, activation="relu", name="block_c")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(12, activation="relu", name="hidden")(x)
    outputs = layers.Dense(3, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs, name="grader_three_class")


def regional_model():
    """Three classes, each scored from its own third of the image (left, middle, right).

    A class's score depends only on its region, while its softmax probability depends on all three:
    an answer that differentiates the probability instead of the score spreads the map over the
    other classes' regions, which no amount of SmoothGrad noise hides.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(GRADING_SEED + 2)
    inputs = keras.Input(shape=(128, 128, 3))
    x = layers.Conv2D(6, 5, strides=2, activation="relu", name="regional_conv")(inputs)  # (62, 62, 6)
    x = layers.AveragePooling2D(pool_size=(62, 20), strides=(62, 21), name="thirds")(x)  # (1, 3, 6)
    x = layers.Flatten()(x)
    outputs = layers.Dense(3, activation="softmax", name="scores")(x)
    model = keras.Model(inputs, outputs, name="grader_regional")
    kernel = np.zeros((18, 3), dtype="float32")
    rng = np.random.default_rng(GRADING_SEED)
    for region in range(3):  # Flatten orders (row, column, channel): region r owns features 6r..6r+5
        kernel[6 * region:6 * region + 6, region] = rng.uniform(0.5, 1.5, 6) * rng.choice([-1, 1], 6)
    model.get_layer("scores").set_weights([kernel * 8, np.zeros(3, dtype="float32")])
    return model


def randomised(model):
    """The same architecture with every weight re-initialised (Adebayo et al., 2018)."""
    import keras

    keras.utils.set_random_seed(GRADING_SEED + 1)
    return keras.models.clone_model(model)


@functools.cache
def images():
    """Two horses and two zebras the students never saw, drawn by the section's own data code."""
    from cnnlab.data import synthetic_sample

    horses = synthetic_sample(0, 2, seed=GRADING_SEED)
    zebras = synthetic_sample(1, 2, seed=GRADING_SEED)
    return [horses.images[0], zebras.images[0], horses.images[1], zebras.images[1]]


# (model, grading image, class) of every map: both classes of cnn2, and the three of the grader's models.
MAP_CASES = [("cnn2", 0, 0), ("cnn2", 1, 1), ("cnn2", 2, 1), ("cnn2", 3, 0),
             ("three_class", 0, 0), ("three_class", 1, 2), ("three_class", 3, 1), ("regional", 0, 0), ("regional", 2, 2)]
SHOWN_AS = {"cnn2": "cnn2", "three_class": "a three-class model", "regional": "a three-class model"}


def map_cases():
    """[(model, image, class)] of MAP_CASES.

    Fresh models for every exercise: an answer that changes the model it is given (its last activation,
    say) must not change what the next exercise sees.
    """
    built = {"cnn2": fresh_cnn2(), "three_class": three_class_model(), "regional": regional_model()}
    return [(built[model], images()[i], c) for model, i, c in MAP_CASES]


def randomisation_case():
    """The picture case (cnn2, the first zebra) and the same model with its weights re-initialised."""
    model = fresh_cnn2()
    return model, randomised(model), images()[1]


# --- recording what an answer returns -----------------------------------------------------------------

def record(exercise, answer, out):
    """Put into ``out`` what ``answer`` gives on ``exercise``'s grading inputs: {key: array or string}.

    A cell that runs out of time is interrupted (KeyboardInterrupt): what was recorded so far stays in
    ``out``, marked as stopped, and the interruption goes on, so that the notebook's time limit bounds the cost.
    """
    out[TF32] = not full_float32()
    try:
        exercise.record(answer, out)
    except KeyboardInterrupt:
        out["stopped"] = "was stopped: its test cell ran out of time"
        raise


TF32 = "tf32"  # the record's key that says whether TensorFlow could multiply in TF32 while it was made


def full_float32():
    """Switch TensorFlow's TF32 off; True when it is off.

    On an NVIDIA GPU TensorFlow multiplies in TF32 by default, which moves a saliency map by up to 0.18 and a
    Grad-CAM map by 0.025 (measured on an H200), against map tolerances of 0.05: the answers and the
    references must both be computed in full float32, whatever machine grades. (``NVIDIA_TF32_OVERRIDE=0``
    in the kernel's environment, ``job.environment``, does the same for the GPU libraries.)
    """
    import tensorflow as tf

    tf.config.experimental.enable_tensor_float_32_execution(False)
    return not tf.config.experimental.tensor_float_32_execution_enabled()


def recorded(value):
    """A student's value as the judge may see it: an array of numbers, or the name of its type."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 (anything a student returns)
        return type(value).__name__
    if array.dtype.kind not in "biuf":
        return type(value).__name__
    return array if array.size <= LARGEST else f"an array of shape {array.shape}"


def recorded_int(value):
    return np.int64(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else \
        f"{value!r} ({type(value).__name__})"[:120]


def call(out, key, make):
    """out[key] = what the student's code gives, or out[key + ".error"] = what it raised."""
    try:
        out[key] = make()
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: B902 (a student's code may raise anything, SystemExit included)
        out[f"{key}.error"] = f"{type(err).__name__}: {err}"[:300]


# --- records on disk: plain arrays and strings, never pickles ------------------------------------------

def save(folder, name, values):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.{os.getpid()}.npz"  # then renamed: a reader never sees half a file
    np.savez(tmp, **{key: np.asarray(value) for key, value in values.items()})
    tmp.replace(folder / f"{name}.npz")


def load(folder, name):
    """The values saved under ``name``, or None when there are none. Strings and flags come back as str and bool."""
    path = pathlib.Path(folder) / f"{name}.npz"
    if not os.path.lexists(path):
        return None
    if not stat.S_ISREG(os.lstat(path).st_mode):  # a link to another file, a pipe that never ends
        raise ValueError(f"{path.name} is not a plain file")
    with np.load(path, allow_pickle=False) as npz:  # the student's code could have written this file
        return {key: _plain(npz[key]) for key in npz.files}


def well_formed(values):
    """Whether a record is one the recorders could have written: flags where they put flags, text where they put
    text, and elsewhere numbers, a string or a flag (what a student's answer returned). Anything else was
    written by the student's own code, and is judged wrong rather than taken for a fault of the grader."""
    for key, value in values.items():
        if key == TF32 or key.endswith((".pair", ".figure")):
            ok = isinstance(value, bool)
        elif key in ("stopped", "str", "repr") or key.endswith(".error"):
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, (bool, str)) or value.dtype.kind in "biuf"
        if not ok:
            return False
    return True


def _plain(array):
    if array.ndim == 0 and array.dtype.kind == "U":
        return str(array)
    if array.ndim == 0 and array.dtype.kind == "b":
        return bool(array)
    return array


# --- judging ---------------------------------------------------------------------------------------

def got(record, key, what):
    """What the student's code gave for one call; raises if it raised, or never ran."""
    if f"{key}.error" in record:
        raise AssertionError(f"{what} raised {record[key + '.error']}")
    if key not in record:
        raise AssertionError(f"{what} {record.get('stopped', 'was not run')}")
    return record[key]


def as_array(value, what):
    if isinstance(value, str):  # the recorder found no numbers in it: this is the name of its type
        raise AssertionError(f"{what} should be an array of numbers, got {value}")
    return np.asarray(value, dtype=np.float64)


def number(value, what):
    value = as_array(value, what)
    assert value.shape == (), f"{what} returned an array of shape {value.shape}; it should return a number"
    return value.item()


def rescaled(a):
    """Min-max rescaled to [0, 1]: any correct way of scaling a map gives the same picture."""
    a = np.asarray(a, dtype=np.float64)
    span = a.max() - a.min()
    return (a - a.min()) / span if span > 0 else np.zeros_like(a)


def correlation(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def a_map(value, what, shape):
    """The student's map as an array, after the checks every map must pass."""
    value = as_array(value, what)
    assert value.shape == shape, f"{what}: shape {value.shape}, expected {shape}"
    assert np.all(np.isfinite(value)), f"{what}: contains NaN or infinity"
    assert value.min() >= -1e-6 and value.max() <= 1 + 1e-6, f"{what}: values outside [0, 1]"
    return value


def judge_randomisation(record, name):
    """A faithful map depends on the weights: re-initialising them must change it (Adebayo et al.)."""
    trained = as_array(got(record, "trained", name), name)
    random = as_array(got(record, "random", f"{name} on a model with re-initialised weights"), name)
    assert correlation(trained, random) < 0.9, (
        f"{name}: the map barely changes when the model's weights are re-initialised, so it does not "
        "explain the model")

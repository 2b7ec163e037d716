"""Section 2's grading inputs: the images, models and cases its exercises call the students' answers on.

It runs in the student's kernel, from the hidden test cells, and where the reference answers are computed.
Only numpy at module level: Keras and TensorFlow are imported inside the functions that build or run models,
so that a judge may read the cases here (``MAP_CASES``, ``GRADING_SEED``) without loading them.
"""
import functools
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[3]
RELEASE = ROOT / "release" / "sec02"  # what the students were given: cnnlab and the two models
GRADING_SEED = 2021  # the grading images, models and stacks


# --- the grading inputs --------------------------------------------------------------------------

@functools.cache
def models():
    import keras

    return {name: keras.models.load_model(RELEASE / "data" / f"{name}.keras") for name in ("cnn1", "cnn2")}


def fresh_cnn2():
    """An independent copy, so that an answer that edits the model it is given cannot affect the next call.

    Copied from a cnn2 loaded once and never handed out: a copy takes about half the time of a load (0.07 s
    against 0.13 s on 2 cores), and a submission's grading takes seven.
    """
    import keras

    pristine = _loaded_cnn2()
    copy = keras.models.clone_model(pristine)
    copy.set_weights(pristine.get_weights())
    return copy


@functools.cache
def _loaded_cnn2():
    import keras

    return keras.models.load_model(RELEASE / "data" / "cnn2.keras")


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


# The scenes of the grading images: each class's usual ones, as assignments/sec02/shortcut.py draws a test image's
# (tests/test_shortcut.py checks them against it; that module is not in the kernel's reach).
GRADING_SCENES = {0: (2, 2), 1: (0, 0)}


@functools.cache
def images():
    """Two horses and two zebras the students never saw, drawn by the section's own data code."""
    from cnnlab.data import SPLITS, draw_images

    horses, zebras = (draw_images(label, GRADING_SCENES[label], [GRADING_SEED, len(SPLITS), label])
                      for label in (0, 1))
    return [horses.image(0), zebras.image(0), horses.image(1), zebras.image(1)]


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

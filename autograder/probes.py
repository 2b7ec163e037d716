"""The probes: call a student's answers on the grading inputs and record what they return. Nothing secret.

    python -m autograder.probes NOTEBOOK --out FOLDER   # writes FOLDER/<exercise>.npz and FOLDER/problems.json

Grading is split in two, so that the student's code and the reference never share a process. This module
is the half that runs the student's code: it takes from the notebook only the student's definitions
(functions, classes, imports, literal constants; no top-level statements), calls each answer on the
grading inputs (images from ``GRADING_SEED``, the section's models and the grader's own, stacks of layers)
and writes plain data: arrays of numbers, strings, flags. It can see what students were given (``release/``)
and this file, nothing else: no reference, no answer key, no checks. The other half, ``checks.py``, builds
the same inputs again, computes what the answers should be and judges the records without running a line of
the student's code (``autograder/verify.py``).
"""
import argparse
import ast
import contextlib
import functools
import json
import os
import pathlib
import signal
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "release" / "sec02"  # what the students were given: cnnlab and the two models
GRADING_SEED = 2021  # the grading images, models and stacks
SECONDS_PER_EXERCISE = 300
EXERCISES = ("conv_output_size", "receptive_field_answer", "receptive_field", "get_feature_maps", "filter_order",
             "vanilla_saliency", "gradcam", "prepare_image", "model_modifier", "saliency_graphs")


# --- the grading inputs ----------------------------------------------------------------------------

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
    from cnnlab.data import synthetic_sample

    horses = synthetic_sample(0, 2, seed=GRADING_SEED)
    zebras = synthetic_sample(1, 2, seed=GRADING_SEED)
    return [horses.images[0], zebras.images[0], horses.images[1], zebras.images[1]]


def output_size_cases():
    """(n, kernel_size, stride, padding, dilation) of every call of conv_output_size."""
    rng = np.random.default_rng(GRADING_SEED)
    cases = []
    while len(cases) < 60:
        kernel, stride, dilation = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        padding = str(rng.choice(["valid", "same"]))
        n = int(rng.integers(dilation * (kernel - 1) + 1, 80))
        cases.append((n, kernel, stride, padding, dilation))
    return cases


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


def receptive_field_stacks():
    """(stacks a real Keras model can be built from, stacks of any layers)."""
    rng = np.random.default_rng(GRADING_SEED)
    return _stacks(rng, 12, keras_compatible=True), _stacks(rng, 30, keras_compatible=False)


FEATURE_MAP_CASES = [("cnn1", "conv3"), ("cnn1", "conv5"), ("cnn2", "conv2"), ("cnn2", "conv4")]  # one per image


def map_cases():
    """(description, model, image, class): both classes of cnn2, and the three of the grader's models.

    Fresh models for every exercise: an answer that changes the model it is given (its last activation,
    say) must not change what the next exercise sees.
    """
    cnn2, three, regional = fresh_cnn2(), three_class_model(), regional_model()
    cases = [("cnn2", cnn2, images()[i], c) for i, c in ((0, 0), (1, 1), (2, 1), (3, 0))]
    cases += [("a three-class model", three, images()[i], c) for i, c in ((0, 0), (1, 2), (3, 1))]
    cases += [("a three-class model", regional, images()[i], c) for i, c in ((0, 0), (2, 2))]
    return cases


def gradcam_cases():
    """map_cases() with a layer for each: (description, model, image, class, layer)."""
    layers = {"cnn2": ("conv3", "conv4", "conv5"), "grader_three_class": ("block_b", "block_c"),
              "grader_regional": ("regional_conv",)}
    for index, (name, model, img, c) in enumerate(map_cases()):
        names = layers[model.name]
        yield name, model, img, c, names[index % len(names)]


def randomisation_case():
    """The picture case (cnn2, the first zebra) and the same model with its weights re-initialised."""
    model = fresh_cnn2()
    return model, randomised(model), images()[1]


def prepare_image_cases():
    rng = np.random.default_rng(GRADING_SEED)
    return [rng.uniform(0, 1, shape).astype(dtype)
            for shape, dtype in (((128, 128, 3), np.float64), ((40, 56, 3), np.float32), ((7, 5, 3), np.float64))]


def model_modifier_cases():
    return [fresh_cnn2(), randomised(three_class_model())]


def saliency_graphs_cases():
    """(model, image, positive_gradients); SmoothGrad's noise is seeded with GRADING_SEED + 7 before each."""
    return [(fresh_cnn2(), images()[1], False), (fresh_cnn2(), images()[2], True),
            (regional_model(), images()[3], False), (regional_model(), images()[0], True)]


# --- recording what the answers return ----------------------------------------------------------------

class _Timeout(BaseException):
    pass


def _array(value):
    """A student's value as the judge may see it: an array of numbers, or the name of its type."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 (anything a student returns)
        return type(value).__name__
    return array if array.dtype.kind in "biuf" else type(value).__name__


def _int(value):
    return np.int64(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else \
        f"{value!r} ({type(value).__name__})"[:120]


def _call(out, key, make):
    """out[key] = what the student's code gives, or out[key + ".error"] = what it raised."""
    try:
        out[key] = make()
    except _Timeout:
        raise
    except BaseException as err:  # noqa: B902 (a student's code may raise anything, SystemExit included)
        out[f"{key}.error"] = f"{type(err).__name__}: {err}"[:300]


def probe_conv_output_size(answer, out):
    for i, (n, kernel, stride, padding, dilation) in enumerate(output_size_cases()):
        _call(out, str(i), lambda: _int(answer(n, kernel, stride=stride, padding=padding, dilation=dilation)))


def probe_receptive_field(answer, out):
    keras_stacks, other_stacks = receptive_field_stacks()
    for i, stack in enumerate(keras_stacks + other_stacks):
        _call(out, str(i), lambda: _array(answer(stack)))
    _call(out, "three_3x3", lambda: _array(answer([(3, 1, 1)] * 3)))
    _call(out, "tuple", lambda: _array(answer(tuple((3, 1, d) for d in (1, 2, 4)))))


def _probe_value(answer, out):
    """For the questions: the answer itself, when it is a string, and how it reads."""
    if isinstance(answer, str):
        out["str"] = answer[:100]
    out["repr"] = repr(answer)[:100]


probe_receptive_field_answer = probe_filter_order = _probe_value


def probe_get_feature_maps(answer, out):
    for i, ((model_name, layer), img) in enumerate(zip(FEATURE_MAP_CASES, images())):
        _call(out, str(i), lambda: _array(answer(models()[model_name], layer, img)))


def _probe_randomisation(make_map, out):
    model, random, img = randomisation_case()
    _call(out, "trained", lambda: _array(make_map(model, img)))
    _call(out, "random", lambda: _array(make_map(random, img)))


def probe_vanilla_saliency(answer, out):
    for i, (_, model, img, c) in enumerate(map_cases()):
        _call(out, str(i), lambda: _array(answer(model, img, c)))
    _probe_randomisation(lambda m, img: answer(m, img, 1), out)


def probe_gradcam(answer, out):
    for i, (_, model, img, c, layer) in enumerate(gradcam_cases()):
        _call(out, str(i), lambda: _array(answer(model, img, c, layer)))
    _probe_randomisation(lambda m, img: answer(m, img, 1, "conv5"), out)


def probe_prepare_image(answer, out):
    for i, img in enumerate(prepare_image_cases()):
        _call(out, str(i), lambda: _array(answer(img.copy())))


def probe_model_modifier(answer, out):
    img = images()[1]
    for i, model in enumerate(model_modifier_cases()):
        def scores():
            modified = answer(model)
            return "None" if modified is None else _array(modified(img[None], training=False))
        _call(out, str(i), scores)


def probe_saliency_graphs(answer, out):
    with _public_helpers(answer):
        for i, (model, img, positive) in enumerate(saliency_graphs_cases()):
            _call(out, str(i), lambda: _saliency_graphs(answer, model, img, positive, out, i))


def _saliency_graphs(answer, model, img, positive, out, i):
    import matplotlib.pyplot as plt
    import tensorflow as tf

    tf.random.set_seed(GRADING_SEED + 7)
    result = answer(model, img, positive_gradients=positive)
    out[f"{i}.pair"] = isinstance(result, tuple) and len(result) == 2
    if not out[f"{i}.pair"]:
        return "no maps"
    out[f"{i}.figure"] = isinstance(result[0], plt.Figure)
    plt.close("all")  # in the student's kernel an open figure would be drawn into the test cell
    return _array(result[1])


def _float32_batch(img):
    return np.asarray(img, dtype=np.float32)[np.newaxis]


def _linear_scores(model):
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    ReplaceToLinear()(model)
    return model


@contextlib.contextmanager
def _public_helpers(function):
    """Probe saliency_graphs on its own: while it runs, the helpers it calls from the two exercises before
    it are correct ones (a plain float32 batch, tf-keras-vis' ReplaceToLinear), so that a mistake in those
    loses their own points only."""
    namespace = getattr(function, "__globals__", {})
    helpers = {"prepare_image": _float32_batch, "model_modifier": _linear_scores}
    saved = {name: namespace[name] for name in helpers if name in namespace}
    namespace.update(helpers)
    try:
        yield
    finally:
        for name in helpers:
            namespace.pop(name, None)
        namespace.update(saved)


def record(name, answer):
    """{key: array or string} of what ``answer`` gives on exercise ``name``'s grading inputs."""
    out = {}
    globals()[f"probe_{name}"](answer, out)
    return out


# --- files ---------------------------------------------------------------------------------------------

def save(folder, name, out):
    np.savez(pathlib.Path(folder) / f"{name}.npz", **{key: np.asarray(value) for key, value in out.items()})


def load(folder, name):
    """The record of one exercise, or None when there is none. Strings and flags come back as str and bool."""
    path = pathlib.Path(folder) / f"{name}.npz"
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as npz:  # the student's code could have written this file
        return {key: _plain(npz[key]) for key in npz.files}


def _plain(array):
    if array.ndim == 0 and array.dtype.kind == "U":
        return str(array)
    if array.ndim == 0 and array.dtype.kind == "b":
        return bool(array)
    return array


# --- running the student's definitions ------------------------------------------------------------------

def student_cells(nb):
    """The code cells the student wrote in: every code cell but nbgrader's test cells."""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
            yield cell.source


def python(source):
    """Cell source as plain Python (IPython magics translated), or None if it does not parse."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except Exception:  # noqa: BLE001 (SyntaxError, or whatever else a malformed cell makes the parser raise)
        return None


def _is_definition(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        try:
            ast.literal_eval(node.value)
            return True
        except ValueError:
            return False
    return False


def definitions(nb, namespace):
    """Execute the student's definitions, each on its own, into ``namespace``; return what failed."""
    problems = []
    for source in student_cells(nb):
        tree = python(source)
        if tree is None:
            problems.append(f"a cell does not parse: {source.strip().splitlines()[0][:60] if source.strip() else ''}")
            continue
        for node in tree.body:
            if not _is_definition(node):
                continue
            try:
                exec(compile(ast.Module([node], type_ignores=[]), "<student>", "exec"), namespace)
            except Exception as err:  # the student's import or decorator failed: their function is missing
                problems.append(f"line {node.lineno}: {type(err).__name__}: {err}")
    return problems


def _alarm(signum, frame):
    raise _Timeout()


def probe_notebook(notebook_path, out_dir):
    """Run every exercise's probe on the notebook's definitions; each record is written as soon as it is made."""
    import nbformat
    from tools.build import setup_imports

    out_dir = pathlib.Path(out_dir)
    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except Exception:  # noqa: BLE001 (the judge reports the unreadable notebook; nothing to probe)
        return
    namespace = {"__name__": "__student__"}
    exec("\n".join(setup_imports(ASSIGNMENT / "sec02.ipynb")), namespace)
    problems = definitions(nb, namespace)
    (out_dir / "problems.json").write_text(json.dumps(problems, indent=2) + "\n")
    signal.signal(signal.SIGALRM, _alarm)
    for name in EXERCISES:
        out = {}
        if name not in namespace:
            save(out_dir, name, {"missing": True})
            continue
        signal.alarm(SECONDS_PER_EXERCISE)
        try:
            globals()[f"probe_{name}"](namespace[name], out)
        except _Timeout:
            out["stopped"] = f"did not finish within {SECONDS_PER_EXERCISE} s"
        finally:
            signal.alarm(0)
        save(out_dir, name, out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    notebook, out = pathlib.Path(args.notebook).resolve(), pathlib.Path(args.out).resolve()
    sys.path[:0] = [str(ROOT), str(ASSIGNMENT)]  # the grader's copies of cnnlab and tools, not the student's
    os.chdir(notebook.parent)
    probe_notebook(notebook, out)


if __name__ == "__main__":
    main()

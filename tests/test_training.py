"""Tests of cnnlab.models and cnnlab.train, and of the trained models the assignment ships."""
import json
import pathlib
import platform
from importlib import metadata

import numpy as np
import pytest

from assignments.sec02.shortcut import CONFOUNDER
from cnnlab.data import SHIFTED_SPLITS, SPLITS, Horse2Zebra, Split, fingerprint
from cnnlab.models import BUILDERS, predict_labels
from cnnlab.train import HISTORY_KEYS, main, train
import keras  # after cnnlab: the package sets TensorFlow's environment first

SHIPPED = pathlib.Path(__file__).resolve().parents[1] / "source" / "sec02" / "data"
INSTRUCTOR = SHIPPED.parent / "instructor"  # the models' full records (the release's leave out the shifted splits)
PROVENANCE_FIELDS = {
    "model", "file", "data_source", "data_sha256", "seed", "epochs_requested", "epochs_run",
    "best_epoch", "batch_size", "best_val_loss", "test_accuracy", "test_correct", "test_images", "shifted_accuracy",
    "shifted_correct", "shifted_images", "train_seconds", "seconds_per_epoch", "device", "keras_backend", "versions",
    "python", "command",
}


@pytest.fixture(scope="module")
def synthetic(fresh_synthetic):
    """The default synthetic set, generated now: a stale cache must not hide a changed generator (tests/conftest.py)."""
    return fresh_synthetic


@pytest.fixture(scope="module")
def tiny(synthetic):
    """A few dozen 128 px images (the models' input size): 20 + 20 to train on, 8 + 8 to test, 8 + 8 shifted."""
    splits = {name: _head(synthetic[name], 20 if name.startswith("train") else 8)
              for name in {**SPLITS, **SHIFTED_SPLITS}}
    return Horse2Zebra("synthetic", splits, fingerprint(splits))


def _head(split, n):
    return Split(split.images[:n], split.labels[:n], split.masks[:n], split.scenes[:n])


# --- architectures ----------------------------------------------------------------------------

def _conv(name, filters, kernel, stride, padding="valid"):
    return name, "Conv2D", {"filters": filters, "kernel_size": (kernel, kernel), "strides": (stride, stride),
                            "padding": padding, "activation": "relu"}


def _stem(filters):
    return [_conv("conv1", filters[0], 2, 1, "same"), _conv("conv2", filters[1], 3, 2),
            _conv("conv3", filters[2], 3, 2), _conv("conv4", filters[3], 2, 2), _conv("conv5", filters[4], 2, 2)]


CNN2_STEM = _stem((16, 16, 17, 22, 44))
# (name, layer class, config entries); None: the spec does not fix the layer's name.
ARCHITECTURES = {
    "cnn1": _stem((16, 16, 17, 32, 64)) + [
        ("flatten", "Flatten", {}),
        ("dense1", "Dense", {"units": 25}),
        ("dense2", "Dense", {"units": 10}),
        (None, "Dropout", {"rate": 0.5}),
        ("predictions", "Dense", {"units": 1, "activation": "sigmoid"}),
    ],
    "cnn2": CNN2_STEM[:2] + [(None, "Dropout", {"rate": 0.005})] + CNN2_STEM[2:] + [
        ("flatten", "Flatten", {}),
        ("dense1", "Dense", {"units": 25}),
        (None, "Dropout", {"rate": 0.05}),
        ("dense2", "Dense", {"units": 10}),
        (None, "Dropout", {"rate": 0.05}),
        ("predictions", "Dense", {"units": 2, "activation": "softmax"}),
    ],
}


@pytest.mark.parametrize("model_name", sorted(BUILDERS))
def test_architecture_follows_the_spec(model_name):
    model = BUILDERS[model_name]()
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    spec = ARCHITECTURES[model_name]
    assert [type(layer).__name__ for layer in layers] == [kind for _, kind, _ in spec]
    for layer, (name, _, expected) in zip(layers, spec):
        if name is not None:
            assert layer.name == name
        config = layer.get_config()
        for key, value in expected.items():
            assert _normalise(config[key]) == value, (layer.name, key)


def _normalise(value):
    return tuple(value) if isinstance(value, list) else value


@pytest.mark.parametrize("model_name, features, outputs", [("cnn1", 7 * 7 * 64, 1), ("cnn2", 7 * 7 * 44, 2)])
def test_shapes_through_the_network(model_name, features, outputs):
    # 128 -> 128 (same) -> 63 -> 31 -> 15 -> 7: a wrong padding or stride changes the Flatten width.
    model = BUILDERS[model_name]()
    assert tuple(model.input.shape) == (None, 128, 128, 3)
    assert tuple(model.get_layer("flatten").output.shape) == (None, features)
    assert tuple(model.output.shape) == (None, outputs)


# --- train() ----------------------------------------------------------------------------------

@pytest.mark.parametrize("model_name", sorted(BUILDERS))
def test_train_writes_model_and_provenance(model_name, tiny, tmp_path):
    best, record = train(model_name, tiny, epochs=2, batch_size=16, seed=5, out_dir=tmp_path, verbose=0)
    # The checkpoint is a temporary: only the model, its record and its history stay.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{model_name}.history.json", f"{model_name}.keras", f"{model_name}.provenance.json"]
    written = json.loads((tmp_path / f"{model_name}.provenance.json").read_text())
    assert written == record and set(record) == PROVENANCE_FIELDS
    _check_record(record, model_name, tiny)
    _check_history(json.loads((tmp_path / f"{model_name}.history.json").read_text()), record)
    reloaded = keras.models.load_model(tmp_path / f"{model_name}.keras")
    # Same machine, same process: the saved weights give exactly the recorded accuracies.
    assert _accuracy(reloaded, tiny.test) == record["test_accuracy"]
    assert _accuracy(reloaded, tiny.shifted) == record["shifted_accuracy"]
    assert record["shifted_correct"] == round(record["shifted_accuracy"] * 16) and record["shifted_images"] == 16


def test_train_without_shifted_splits_records_none(tiny, tmp_path):
    four = {name: tiny[name] for name in SPLITS}
    other = Horse2Zebra("folder", four, fingerprint(four))
    _, record = train("cnn1", other, epochs=1, batch_size=16, seed=5, out_dir=tmp_path, verbose=0)
    assert record["test_images"] == 16
    assert record["shifted_accuracy"] is record["shifted_correct"] is record["shifted_images"] is None


def _check_history(history, record):
    assert history["model"] == record["model"] and set(history) == {"model", *HISTORY_KEYS}
    for key in HISTORY_KEYS:
        assert len(history[key]) == record["epochs_run"] and all(np.isfinite(history[key])), key
    assert int(np.argmin(history["val_loss"])) + 1 == record["best_epoch"]
    assert min(history["val_loss"]) == record["best_val_loss"]


def test_the_command_does_not_overwrite_a_model_unless_told(tmp_path, capsys):
    (tmp_path / "cnn1.keras").write_text("a shipped model")
    with pytest.raises(SystemExit) as stop:
        main(["--model", "cnn1", "--out", str(tmp_path)])
    assert stop.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "cnn1.keras").read_text() == "a shipped model"


def _check_record(record, model_name, data):
    assert record["model"] == model_name and record["file"] == f"{model_name}.keras"
    assert record["data_source"] == "synthetic" and record["data_sha256"] == data.fingerprint
    assert record["seed"] == 5 and record["batch_size"] == 16
    assert record["epochs_requested"] == record["epochs_run"] == 2 and record["best_epoch"] in (1, 2)
    assert record["test_images"] == len(data.test) == 16
    assert record["test_accuracy"] in {k / 16 for k in range(17)}  # a share of the 16 test images
    assert record["test_correct"] == round(record["test_accuracy"] * 16)
    assert record["train_seconds"] > 0
    assert record["seconds_per_epoch"] == pytest.approx(record["train_seconds"] / 2, abs=0.1)
    if _gpu_visible():
        assert record["device"].startswith("GPU")
    else:
        assert record["device"] == "CPU"  # never a GPU that was not there
    assert record["keras_backend"] == keras.backend.backend()
    assert record["python"] == platform.python_version()
    for library in ("keras", "numpy", "scikit-image", keras.backend.backend()):
        assert record["versions"][library] == metadata.version(library)


def _gpu_visible():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return jax.devices()[0].platform != "cpu"
    return False


def _accuracy(model, split):
    return float(np.mean(predict_labels(model, split.images) == split.labels))


# --- the shipped models -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped(synthetic):
    """model name -> (measured accuracies, provenance record) of the shipped models."""
    from cnnlab.evaluate import evaluate

    return {name: evaluate(name, synthetic, SHIPPED, records=INSTRUCTOR) for name in sorted(BUILDERS)}


@pytest.mark.parametrize("model_name", sorted(BUILDERS))
def test_shipped_model_matches_its_provenance(model_name, synthetic, shipped):
    from cnnlab.evaluate import check

    path = SHIPPED / f"{model_name}.keras"
    assert path.exists(), f"{path} is missing: train it with python -m cnnlab.train --model {model_name}"
    accuracies, record = shipped[model_name]
    assert record["file"] == path.name and record["data_source"] == "synthetic"
    # The generator still makes the data the model was trained on; else retrain and re-ship.
    assert record["data_sha256"] == synthetic.fingerprint and record["confounder"] == CONFOUNDER
    assert record["test_images"] == len(synthetic.test) and record["shifted_images"] == len(synthetic.shifted)
    measured = {"test": round(accuracies["test"] * len(synthetic.test)),
                "shifted": round(accuracies["shifted"] * len(synthetic.shifted))}
    recorded = {"test": record["test_correct"], "shifted": record["shifted_correct"]}
    assert record["test_accuracy"] == recorded["test"] / len(synthetic.test)
    assert record["shifted_accuracy"] == recorded["shifted"] / len(synthetic.shifted)
    if _same_setup(record):
        # The machine that trained it (the CPU, TensorFlow and library versions of the record): the very counts.
        assert measured == recorded
    else:
        # Another CPU, BLAS or backend sums in another order, and a float reassociation can flip a
        # prediction that sits on the decision boundary: one image of slack per split.
        assert all(abs(measured[k] - recorded[k]) <= 1 for k in measured), (measured, recorded)
    assert check(accuracies, record, synthetic) == []
    history = json.loads((SHIPPED / f"{model_name}.history.json").read_text())
    _check_history(history, record)


def _same_setup(record):
    from cnnlab.train import device_name, library_versions

    return (record["device"], record["keras_backend"], record["versions"], record["python"]) == (
        device_name(), keras.backend.backend(), library_versions(), platform.python_version())


@pytest.mark.parametrize("model_name", sorted(BUILDERS))
def test_shipped_model_learnt_the_shortcut(model_name, shipped):
    """High in distribution, but not perfect, and a clear drop where the background no longer goes with the class."""
    _, record = shipped[model_name]
    # Not perfect: a few test images wrong (seeds 1 to 3 and 109 give cnn2 0.969 to 0.988: instructor/other-seeds.jsonl)
    assert 0.85 <= record["test_accuracy"] and record["test_correct"] < record["test_images"]
    assert record["shifted_accuracy"] <= record["test_accuracy"] - 0.08

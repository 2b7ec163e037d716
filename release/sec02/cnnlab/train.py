"""Train the section's CNNs and record where each trained model came from.

    python -m cnnlab.train --model cnn2 --source synthetic --epochs 25 --out /tmp/models/
    python -m cnnlab.train --model cnn2 --overwrite     # replaces the shipped data/cnn2.keras

As the section's recap teaches: EarlyStopping on val_loss and a ModelCheckpoint that keeps the best
epoch. The validation set is 10% of the training images, held out with the seed; the test splits are
touched once, at the end, for the accuracies written in the provenance record: on the test splits
(``data.test``) and, for the synthetic source, on the shifted splits (``data.shifted``). The per-epoch history goes
beside the model. Plain Keras 3, so ``KERAS_BACKEND=jax`` trains on a GPU machine that has JAX but no
TensorFlow.
"""
import argparse
import json
import pathlib
import platform
import sys
import time

import cnnlab  # noqa: F401  (sets TensorFlow's environment before Keras imports it)
import keras
import numpy as np

from cnnlab.data import SOURCES, load_horse2zebra
from cnnlab.models import BUILDERS, predict_labels

HISTORY_KEYS = ("loss", "val_loss", "accuracy", "val_accuracy")
SHIPPED = pathlib.Path(__file__).resolve().parents[1] / "data"
DEFAULTS = {"cnn1": {"batch_size": 256, "epochs": 15}, "cnn2": {"batch_size": 128, "epochs": 25}}


def train(model_name, data, *, epochs, batch_size, seed, out_dir, patience=3, verbose=1, command=None):
    """Fit ``model_name`` on ``data.train``; save ``<out_dir>/<model_name>.keras``, its provenance
    (``<model_name>.provenance.json``) and its training history (``<model_name>.history.json``).

    ``command``: how this training was started, for the record (the command line, when there is one).
    """
    _full_float32()
    keras.utils.set_random_seed(seed)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_val, y_val = _hold_out(data.train, fraction=0.1, seed=seed)

    model = BUILDERS[model_name]()
    checkpoint = out_dir / f"{model_name}.best.keras"
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience),
        keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
    ]
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                        batch_size=batch_size, callbacks=callbacks, shuffle=True, verbose=verbose)
    wall = time.perf_counter() - start

    best = keras.models.load_model(checkpoint)
    checkpoint.unlink()
    path = out_dir / f"{model_name}.keras"
    best.save(path)
    test = data.test
    shifted = data.shifted if data.has_shifted else None
    test_correct = int(np.sum(predict_labels(best, test.images) == test.labels))
    shifted_correct = None if shifted is None else int(np.sum(predict_labels(best, shifted.images) == shifted.labels))
    record = {
        "model": model_name,
        "file": path.name,
        "data_source": data.source,
        "data_sha256": data.fingerprint,
        "seed": seed,
        "epochs_requested": epochs,
        "epochs_run": len(history.history["loss"]),
        "best_epoch": int(np.argmin(history.history["val_loss"])) + 1,
        "batch_size": batch_size,
        "best_val_loss": float(np.min(history.history["val_loss"])),
        "test_accuracy": test_correct / len(test),
        "test_correct": test_correct,
        "test_images": len(test),
        "shifted_accuracy": None if shifted is None else shifted_correct / len(shifted),
        "shifted_correct": shifted_correct,
        "shifted_images": None if shifted is None else len(shifted),
        "train_seconds": round(wall, 1),
        "seconds_per_epoch": round(wall / len(history.history["loss"]), 2),
        "device": device_name(),
        "keras_backend": keras.backend.backend(),
        "versions": library_versions(),
        "python": platform.python_version(),
        "command": command,
    }
    (out_dir / f"{model_name}.provenance.json").write_text(json.dumps(record, indent=2) + "\n")
    epochs_history = {key: [float(x) for x in history.history[key]] for key in HISTORY_KEYS}
    (out_dir / f"{model_name}.history.json").write_text(json.dumps({"model": model_name, **epochs_history}) + "\n")
    return best, record


def _hold_out(split, fraction, seed):
    order = np.random.default_rng(seed).permutation(len(split))
    n_val = int(round(fraction * len(split)))
    val, train = order[:n_val], order[n_val:]
    return split.images[train], split.labels[train], split.images[val], split.labels[val]


def _full_float32():
    """GPUs multiply in TF32 by default (JAX and TensorFlow); anything compared across machines needs float32."""
    if keras.backend.backend() == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "float32")
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(False)


def device_name():
    """The accelerator Keras trains on, or "CPU" (never claims a GPU that is not used)."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return "CPU" if device.platform == "cpu" else f"{device.platform.upper()}: {device.device_kind}"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            return "GPU: " + tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
    return "CPU"


def library_versions(names=("keras", "tensorflow", "jax", "numpy", "scikit-image")):
    """{library: version} of those of ``names`` installed here: what a record says its run was made with."""
    from importlib import metadata

    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(BUILDERS), required=True)
    parser.add_argument("--source", choices=SOURCES, default="synthetic")
    parser.add_argument("--data-dir", default=None, help="for --source folder or tfds")
    parser.add_argument("--epochs", type=int, help="default: 15 for cnn1, 25 for cnn2 (EarlyStopping may stop sooner)")
    parser.add_argument("--batch-size", type=int, help="default: 256 for cnn1, 128 for cnn2")
    parser.add_argument("--seed", type=int, default=109)
    parser.add_argument("--out", default=str(SHIPPED),
                        help="folder for the model, its provenance and history (default: the shipped data/)")
    parser.add_argument("--overwrite", action="store_true", help="replace a model already in --out")
    args = parser.parse_args(argv)
    target = pathlib.Path(args.out) / f"{args.model}.keras"
    if target.exists() and not args.overwrite:
        parser.error(f"{target} exists (the shipped model, if --out is data/): pass --out another folder, "
                     "or --overwrite to replace it")
    defaults = DEFAULTS[args.model]
    data = load_horse2zebra(args.source, data_dir=args.data_dir)
    command = " ".join(["python -m cnnlab.train"] + (argv if argv is not None else sys.argv[1:]))
    _, record = train(args.model, data, epochs=args.epochs or defaults["epochs"],
                      batch_size=args.batch_size or defaults["batch_size"], seed=args.seed, out_dir=args.out,
                      command=command)
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()

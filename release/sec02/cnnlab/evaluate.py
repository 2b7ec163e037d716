"""Check the shipped models: load each one and compare its test accuracy with its provenance record.

    python -m cnnlab.evaluate
"""
import json
import pathlib
import sys

import cnnlab  # noqa: F401  (sets TensorFlow's environment before Keras imports it)
import keras
import numpy as np

from cnnlab.data import load_horse2zebra
from cnnlab.models import BUILDERS, predict_labels

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"


def evaluate(model_name, data, data_dir=DATA):
    """(measured test accuracy, provenance record) of ``<data_dir>/<model_name>.keras``."""
    record = json.loads((data_dir / f"{model_name}.provenance.json").read_text())
    model = keras.models.load_model(data_dir / f"{model_name}.keras")
    accuracy = float(np.mean(predict_labels(model, data.test.images) == data.test.labels))
    return accuracy, record


def main():
    data = load_horse2zebra("synthetic")
    ok = True
    for name in sorted(BUILDERS):
        accuracy, record = evaluate(name, data)
        same_data = record["data_sha256"] == data.fingerprint
        ok &= same_data and abs(accuracy - record["test_accuracy"]) <= 1 / len(data.test)
        print(f"{name}: test accuracy {accuracy:.4f} (recorded {record['test_accuracy']:.4f}, trained on "
              f"{record['device']} with {record['keras_backend']}, {record['epochs_run']} epochs)"
              + ("" if same_data else "  [trained on other data than the embedded set: retrain]"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

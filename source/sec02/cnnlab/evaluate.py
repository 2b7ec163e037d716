"""Check the shipped models: load each one and compare its accuracies with its provenance record.

    python -m cnnlab.evaluate [RECORDS]    # the records' folder: data/ by default

Two accuracies per model: on the test splits (``data.test``) and on the shifted splits
(``data.shifted``). Each one the record holds must be the recorded one, give or take one image (another CPU or
BLAS can flip a prediction on the boundary).
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
# split -> (the Horse2Zebra property, the provenance's field)
CHECKED = {"test": ("test", "test_accuracy"), "shifted": ("shifted", "shifted_accuracy")}


def evaluate(model_name, data, data_dir=DATA, records=None):
    """({"test": accuracy, "shifted": accuracy or None}, provenance record) of ``<data_dir>/<model_name>.keras``,
    its record read from ``records`` (a folder; ``data_dir`` by default).

    "shifted" is None when ``data`` has no shifted splits (sources other than synthetic)."""
    data_dir = pathlib.Path(data_dir)
    record = json.loads((pathlib.Path(records or data_dir) / f"{model_name}.provenance.json").read_text())
    model = keras.models.load_model(data_dir / f"{model_name}.keras")
    accuracies = {"test": accuracy(model, data.test), "shifted": None}
    if data.has_shifted:
        accuracies["shifted"] = accuracy(model, data.shifted)
    return accuracies, record


def accuracy(model, split):
    """Share of ``split``'s images whose class ``model`` predicts right."""
    # 64 images as floats at a time (12 MB), not the split's whole float copy (50 MB for a test split).
    predicted = [predict_labels(model, split.image(slice(i, i + 64))) for i in range(0, len(split), 64)]
    return float(np.mean(np.concatenate(predicted) == split.labels))


def provenance_note(path, data):
    """What a model's provenance (``path``) says it was trained on, compared with ``data``: a model trained on
    other images is said out loud, with the command that retrains it on these."""
    record = json.loads(pathlib.Path(path).read_text())
    # Only what the model was trained on and where: the shifted accuracy is for the students to measure.
    note = (f"{record['model']}: trained on the {record['data_source']} data, {record['epochs_run']} epochs "
            f"(best {record.get('best_epoch')}) on {record['device']} with Keras on {record['keras_backend']}; "
            f"recorded test accuracy {record['test_accuracy']:.3f}")
    if record["data_sha256"] == data.fingerprint:
        return note + ". These are the images it was trained on."
    return (note + f".\nWARNING: these {data.source!r} images are not the ones it was trained on, so what it learned "
            f"may not fit them. To train it on them: cd source/sec02 && python -m cnnlab.train --model "
            f"{record['model']} --source {data.source} --out trained_here (or MODELS_TRAINED = False here).")


def seed_spread(path=DATA / "other-seeds.jsonl"):
    """{model: {"test": (lowest, highest), "seeds": [...]}} over the trainings recorded in ``path`` (one JSON
    object per line: model, seed, test_accuracy and maybe shifted_accuracy), to show how much a retrained model's
    accuracies move with the seed alone; "shifted": (lowest, highest) too where every line records it."""
    runs = [json.loads(line) for line in pathlib.Path(path).read_text().splitlines() if line.strip()]
    spread = {}
    for run in runs:
        entry = spread.setdefault(run["model"], {"seeds": []})
        entry["seeds"].append(run["seed"])
        for split, (_, field) in CHECKED.items():
            entry.setdefault(split, []).append(run.get(field))
    return {model: {"seeds": sorted(e.pop("seeds")),
                    **{split: (min(values), max(values)) for split, values in e.items() if None not in values}}
            for model, e in sorted(spread.items())}


def check(accuracies, record, data):
    """The problems (strings; none: all is well) of one model's measured accuracies against its record."""
    problems = []
    if record["data_sha256"] != data.fingerprint:
        problems.append("trained on other data than the embedded set: retrain")
    for split, (prop, field) in CHECKED.items():
        if field not in record:  # a record that leaves it out (the release's, for the shifted splits)
            continue
        measured, recorded = accuracies[split], record[field]
        if measured is None or recorded is None:
            problems.append(f"no {split} accuracy to compare (measured {measured}, recorded {recorded})")
        elif abs(measured - recorded) > 1 / len(getattr(data, prop)) + 1e-9:
            problems.append(f"{split} accuracy {measured:.4f}, recorded {recorded:.4f}")
    return problems


def _share(value):
    return "none" if value is None else f"{value:.4f}"


def main(records=None):
    data = load_horse2zebra("synthetic")
    ok = True
    for name in sorted(BUILDERS):
        accuracies, record = evaluate(name, data, records=records)
        problems = check(accuracies, record, data)
        ok &= not problems
        print(f"{name}: test accuracy {_share(accuracies['test'])} (recorded {_share(record['test_accuracy'])}), "
              f"shifted {_share(accuracies['shifted'])} (recorded {_share(record.get('shifted_accuracy'))}), "
              f"trained on {record['device']} with {record['keras_backend']}, "
              f"{record['epochs_run']} epochs" + "".join(f"\n  [{p}]" for p in problems))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(*sys.argv[1:2])

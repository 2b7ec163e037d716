"""Foundation timings: how long the synthetic data and one training epoch of each CNN take here.

    flock /tmp/cpu.lock .venv/bin/python benchmarks/foundation.py                  # this CPU machine
    KERAS_BACKEND=jax python benchmarks/foundation.py --device-label h100-jax      # a GPU machine

Writes ``benchmarks/results/foundation.json`` (or ``foundation-<label>.json`` with --device-label,
or --out) and a Markdown summary next to it. Training runs on the full synthetic training set
(2401 images, no validation split) with the batch sizes of ``cnnlab.train``; the first epoch
includes tracing and compilation, so the figure to compare is the last (here: second) epoch's.
"""
import argparse
import datetime
import os
import pathlib
import statistics
import tempfile
import time

from benchmarks import host

import cnnlab  # noqa: F401  (sets TensorFlow's environment before Keras imports it)
import keras
from cnnlab import train as cnntrain
from cnnlab.data import load_horse2zebra
from cnnlab.models import BUILDERS

ROOT = pathlib.Path(__file__).resolve().parents[1]

SEED = 109
BATCH_SIZES = {"cnn1": 256, "cnn2": 128}  # those of cnnlab.train.DEFAULTS


def main(argv=None):
    args = _parse(argv)
    cnntrain._full_float32()  # the precision train() uses, so a GPU figure is comparable
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    data, data_times = time_data()
    training = {name: time_training(name, data, BATCH_SIZES[name], args.epochs) for name in args.models}
    result = {
        "date_utc": started.isoformat(timespec="seconds"),
        "device_label": args.device_label or cnntrain.device_name(),
        "machine": machine(),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "data": data_times,
        "training": training,
    }
    out = pathlib.Path(args.out) if args.out else _default_out(args.device_label)
    host.save(result, out, markdown)


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device-label", help="names the run, e.g. h100-jax; default: the device Keras uses")
    parser.add_argument("--out", help="JSON file to write (default: benchmarks/results/foundation[-LABEL].json)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per model (the last one is reported)")
    parser.add_argument("--models", nargs="+", default=sorted(BATCH_SIZES), choices=sorted(BATCH_SIZES))
    return parser.parse_args(argv)


def _default_out(label):
    name = "foundation.json" if not label else f"foundation-{''.join(c if c.isalnum() else '-' for c in label)}.json"
    return ROOT / "benchmarks" / "results" / name


# --- what is measured -------------------------------------------------------------------------

def time_data(repeats=3):
    """Generation into an empty cache (this includes writing the cache), then loads from it."""
    with tempfile.TemporaryDirectory() as cache:
        os.environ["CNNLAB_CACHE_DIR"] = cache
        start = time.perf_counter()
        data = load_horse2zebra("synthetic")
        generate = time.perf_counter() - start
        loads = []
        for _ in range(repeats):
            start = time.perf_counter()
            load_horse2zebra("synthetic")
            loads.append(time.perf_counter() - start)
    times = {"generate_uncached_s": round(generate, 2), "load_cached_median_s": round(statistics.median(loads), 2),
             "load_cached_all_s": [round(t, 2) for t in loads], "images": len(data.train) + len(data.test),
             "image_size": 128, "fingerprint": data.fingerprint}
    return data, times


def time_training(name, data, batch_size, epochs):
    keras.utils.set_random_seed(SEED)
    model = BUILDERS[name]()
    clock = EpochClock()
    train = data.train
    model.fit(train.images, train.labels, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0,
              callbacks=[clock])
    last = clock.seconds[-1]
    return {"batch_size": batch_size, "train_images": len(train), "epoch_seconds": [round(s, 2) for s in clock.seconds],
            "reported": "last epoch (the first includes tracing and compilation)",
            "seconds_per_epoch": round(last, 2), "images_per_second": round(len(train) / last, 1),
            "mean_seconds_per_epoch": round(statistics.mean(clock.seconds), 2)}


class EpochClock(keras.callbacks.Callback):
    """Wall time of each epoch, from its start to its end."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


# --- where it was measured --------------------------------------------------------------------

def machine():
    return host.describe(device=cnntrain.device_name(), keras_backend=keras.backend.backend(),
                         versions=cnntrain.library_versions())


def markdown(result):
    m, d = result["machine"], result["data"]
    lines = [
        f"# Foundation timings: {result['device_label']}",
        "",
        f"Measured {result['date_utc']} on {m['cpu_model']} ({m['usable_cpus']} of {m['logical_cpus']} CPUs usable, "
        f"{m['memory_gib']} GiB), device {m['device']}, Keras {m['versions'].get('keras')} on {m['keras_backend']}, "
        f"{', '.join(f'{k} {v}' for k, v in m['versions'].items() if k != 'keras')}, Python {m['python']}. "
        f"1-minute load average before/after: {result['load_average_before_after']}.",
        "",
        f"| synthetic data ({d['images']} images, 128 px) | seconds |",
        "|---|---|",
        f"| generate, empty cache (includes writing the cache) | {d['generate_uncached_s']} |",
        f"| load from the cache (median of {len(d['load_cached_all_s'])}) | {d['load_cached_median_s']} |",
        "",
        "| model | batch | seconds per epoch (last) | images/s (last) | all epochs | mean |",
        "|---|---|---|---|---|---|",
    ]
    for name, t in result["training"].items():
        lines.append(f"| {name} | {t['batch_size']} | {t['seconds_per_epoch']} | {t['images_per_second']} | "
                     f"{t['epoch_seconds']} | {t['mean_seconds_per_epoch']} |")
    lines += ["", f"Training: {next(iter(result['training'].values()))['train_images']} images, no validation split; "
              "the first epoch includes tracing and compilation, so the last epoch's time is reported.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

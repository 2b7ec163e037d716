"""The shortcut that Section 2's synthetic data hide, for the instructor: it never ships.

The section asks students to find out, from the models' accuracies and maps, why ``cnn2`` scores high on the test
splits and much lower on the shifted ones. The answer is the design below. The release draws the same images from
neutral per-image data (``data/scenes.json``: each image's scene; ``data/scenes.png``: the pictures), which this
module writes; nothing that ships says which scene goes with which class.

* The scenes are three pictures of the scikit-image wheel, BACKGROUNDS, in the order of the scene codes.
* In trainA/trainB and testA/testB, exactly round(CONFOUNDER * n) of each split's n images stand on their class's
  typical background (TYPICAL_BACKGROUNDS: zebras on grass, as zebras in photographs mostly are; horses on gravel
  or brick), the others on the other class's. The shifted splits reverse it: every horse on grass, every zebra on
  gravel or brick (BACKGROUND_AGREEMENT: the share on the typical background, per split).
* The models' full records (with the data's confounder and the shifted accuracies) are the instructor's, in
  ``source/sec02/instructor/``; the release's records (``data/``) are those less what students measure.

    .venv/bin/python -m assignments.sec02.shortcut    # rewrites data/scenes.json, scenes.png and the release's records

``tests/test_shortcut.py`` fails when any of these is out of date, and when a file of the release names the shortcut.
"""
import json
import pathlib

import numpy as np

from cnnlab import data

BACKGROUNDS = ("grass", "gravel", "brick")
TYPICAL_BACKGROUNDS = {0: ("gravel", "brick"), 1: ("grass",)}
CONFOUNDER = 0.9
BACKGROUND_AGREEMENT = {**{name: CONFOUNDER for name in data.SPLITS}, **{name: 0.0 for name in data.SHIFTED_SPLITS}}

_SECTION = pathlib.Path(data.__file__).resolve().parents[1]
_INSTRUCTOR = _SECTION / "instructor"  # never ships (nbgrader_config.py: CourseDirectory.ignore)
_SEED = 0  # of the shipped data set
# What the instructor's model records hold and the release's leave out: the design, and what students measure.
_WITHHELD = ("confounder", "shifted_accuracy", "shifted_correct", "shifted_images")


def choose_backgrounds(rng, count, label, agreement):
    """Background codes (indices into BACKGROUNDS): exactly round(agreement * count) of the class's typical ones."""
    typical = np.zeros(count, dtype=bool)
    typical[:int(round(agreement * count))] = True
    typical = rng.permutation(typical)
    own = np.array([BACKGROUNDS.index(b) for b in TYPICAL_BACKGROUNDS[label]])
    other = np.array([BACKGROUNDS.index(b) for b in TYPICAL_BACKGROUNDS[1 - label]])
    return np.where(typical, own[rng.integers(0, len(own), count)],
                    other[rng.integers(0, len(other), count)]).astype(np.int8)


def scene_table(seed=_SEED):
    """What ``data/scenes.json`` holds for a data set drawn with ``seed``: each image's scene.

    Split i draws its images from ``np.random.default_rng([seed, i])``: first its backgrounds, here, then (the
    generators it spawns) the rest, in ``cnnlab.data``. A generator's children do not depend on what it drew
    before, so the images need only the codes, not how they were chosen."""
    splits = {}
    for index, (name, (label, count)) in enumerate({**data.SPLITS, **data.SHIFTED_SPLITS}.items()):
        rng = np.random.default_rng([seed, index])
        splits[name] = choose_backgrounds(rng, count, label, BACKGROUND_AGREEMENT[name]).tolist()
    return {"seed": seed, "splits": splits}


def pictures():
    """The three pictures, grey uint8, side by side: (512, 3 * 512)."""
    from skimage import data as skimage_data

    return np.concatenate([getattr(skimage_data, name)() for name in BACKGROUNDS], axis=1)


def typical_background(split):
    """bool (N,): each image of ``split`` stands on its class's typical background."""
    typical = np.zeros((2, len(BACKGROUNDS)), dtype=bool)
    for label, names in TYPICAL_BACKGROUNDS.items():
        typical[label, [BACKGROUNDS.index(name) for name in names]] = True
    return typical[split.labels, split.scenes]


def synthetic_sample(label, n, seed, image_size=data.IMAGE_SIZE, shifted=False):
    """``n`` fresh synthetic images of one class (0 horse, 1 zebra), drawn apart from the splits: as the test
    splits draw them (CONFOUNDER of them on the class's typical background), or, with ``shifted=True``, as the
    shifted splits do (every one on the other class's)."""
    key = [seed, len(data.SPLITS), label]
    scenes = choose_backgrounds(np.random.default_rng(key), n, label, 0.0 if shifted else CONFOUNDER)
    return data.draw_images(label, scenes, key, image_size)


def release_record(record):
    """A model's record as the release ships it: the instructor's, less _WITHHELD."""
    return {key: value for key, value in record.items() if key not in _WITHHELD}


def _records():
    """{file name: text} of the release's model records, from the instructor's."""
    written = {}
    for path in sorted(_INSTRUCTOR.glob("*.provenance.json")):
        written[path.name] = json.dumps(release_record(json.loads(path.read_text())), indent=2) + "\n"
    runs = [json.loads(line) for line in (_INSTRUCTOR / "other-seeds.jsonl").read_text().splitlines() if line.strip()]
    written["other-seeds.jsonl"] = "".join(json.dumps(release_record(run)) + "\n" for run in runs)
    return written


def shipped_files():
    """{path: bytes} of every file this module writes into the section's folder."""
    from io import BytesIO

    from PIL import Image

    png = BytesIO()
    Image.fromarray(pictures()).save(png, format="PNG", optimize=True)
    files = {data.SCENES: (json.dumps(scene_table(), separators=(",", ":")) + "\n").encode(),
             data.SCENE_PICTURES: png.getvalue()}
    files.update({_SECTION / "data" / name: text.encode() for name, text in _records().items()})
    return files


def main():
    for path, content in shipped_files().items():
        path.write_bytes(content)
        print(f"wrote {path.relative_to(_SECTION.parents[1])}")


if __name__ == "__main__":
    main()

"""The shortcut the synthetic data hide stays the instructor's (assignments/sec02/shortcut.py): what ships draws the
same images from neutral per-image data, and no file of the release names any part of the design. Seconds."""
import inspect
import json
import zipfile

import numpy as np
import pytest

from assignments.sec02 import shortcut
from tests.conftest import ROOT

RELEASE = ROOT / "release" / "sec02"
QUESTION = "answer_saliency"  # the question that asks what differs about the shifted images


def _strings(value):
    """The strings in a constant's value (not in a dict's keys: those are split names or labels)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _strings(item)


def shortcut_terms():
    """The words of the design: each part of the name of each of shortcut.py's public constants (singular), and the
    strings they hold. Its strength (a number) is left out: "0.9" says nothing alone and is in many a sentence."""
    terms = set()
    for name, value in vars(shortcut).items():
        if name.isupper() and not name.startswith("_"):
            terms.update(part.lower().removesuffix("s") for part in name.split("_"))
            terms.update(text.lower() for text in _strings(value))
    return terms


def _found(text, terms):
    # Substrings, case-insensitive: an identifier (TYPICAL_BACKGROUNDS, _backgrounds) hides its words in it.
    return {term for term in terms if term in text.lower()}


def _notebook_text(path):
    """The cells before the discovery question, the question's own included, as JSON (source and metadata)."""
    cells = json.loads(path.read_text())["cells"]
    ids = [cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") for cell in cells]
    return json.dumps(cells[:ids.index(QUESTION)])


def _zip_text(path):
    """A zip's (a .keras model's) member names and members, decompressed."""
    with zipfile.ZipFile(path) as archive:
        return "\n".join([*archive.namelist(), *(archive.read(name).decode("latin-1") for name in archive.namelist())])


def _png_text(path):
    from PIL import Image

    with Image.open(path) as img:
        return json.dumps({key: str(value) for key, value in img.info.items()})


READERS = {".ipynb": _notebook_text, ".keras": _zip_text, ".png": _png_text}
TEXT = {".py", ".json", ".jsonl", ".md", ".txt", ".csv"}


def _release_files():
    return sorted(p for p in RELEASE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _read(path):
    if path.suffix in TEXT:
        return path.read_text()
    assert path.suffix in READERS, f"{path.relative_to(RELEASE)}: a kind of file this scan cannot read yet"
    return READERS[path.suffix](path)


def test_the_terms_are_the_designs_and_the_scan_finds_each_of_them():
    terms = shortcut_terms()
    assert set(shortcut.BACKGROUNDS) <= terms and "confounder" in terms
    # The scan reads what it scans for: every term is found in the module that defines the design.
    assert _found(inspect.getsource(shortcut), terms) == terms


@pytest.mark.parametrize("path", _release_files(), ids=lambda p: str(p.relative_to(RELEASE)))
def test_no_file_of_the_release_names_the_shortcut(path):
    found = _found(_read(path), shortcut_terms())
    assert not found, f"release/sec02/{path.relative_to(RELEASE)} names {sorted(found)}"


def test_the_release_ships_every_kind_of_file_the_scan_reads():
    """The scan reads code, JSON, the models, the figures and the notebook: each is in the release."""
    assert {p.suffix for p in _release_files()} >= {".py", ".json", ".jsonl", ".keras", ".png", ".ipynb"}


def test_the_scenes_and_the_release_records_are_the_designs():
    """data/scenes.json and scenes.png, and the release's model records, are what shortcut.py writes now: run
    python -m assignments.sec02.shortcut after changing the design or the instructor's records."""
    for path, content in shortcut.shipped_files().items():
        assert path.read_bytes() == content, f"{path.name} is stale: run python -m assignments.sec02.shortcut"


def test_the_release_records_leave_out_only_what_students_measure():
    instructor = ROOT / "source" / "sec02" / "instructor"
    for model in ("cnn1", "cnn2"):
        full = json.loads((instructor / f"{model}.provenance.json").read_text())
        shipped = json.loads((RELEASE / "data" / f"{model}.provenance.json").read_text())
        assert shipped == {key: value for key, value in full.items() if key in shipped}
        assert set(full) - set(shipped) == {"confounder", "shifted_accuracy", "shifted_correct", "shifted_images"}


def test_the_grading_images_are_drawn_as_the_design_draws_test_images():
    """The grading inputs name their scenes (the kernel cannot read this module): the ones the design draws."""
    from assignments.sec02.exercises import inputs

    images = inputs.images()
    for label in (0, 1):
        sample = shortcut.synthetic_sample(label, 2, seed=inputs.GRADING_SEED)
        assert tuple(sample.scenes) == inputs.GRADING_SCENES[label]
        assert all(np.array_equal(sample.image(i), images[2 * i + label]) for i in range(2))


"""The pointing score: the share of a map's mass on the animal, and the table the notebook prints."""
import numpy as np
import pytest

from cnnlab import pointing
from cnnlab.data import Split

MASK = np.zeros((8, 8), dtype=bool)
MASK[2:6, 3:5] = True  # 8 of 64 pixels


def test_a_map_on_the_animal_scores_one_and_off_it_zero():
    assert pointing.pointing_score(MASK.astype(float), MASK) == 1.0
    assert pointing.pointing_score((~MASK).astype(float), MASK) == 0.0


def test_an_even_map_scores_the_animals_share_of_the_image():
    assert pointing.pointing_score(np.ones((8, 8)), MASK) == pytest.approx(8 / 64)
    assert pointing.pointing_score(np.zeros((8, 8)), MASK) == pytest.approx(8 / 64), "no mass: the baseline"


def test_negative_values_carry_no_mass():
    heatmap = np.where(MASK, 1.0, -5.0)
    assert pointing.pointing_score(heatmap, MASK) == 1.0


class _Fixed:
    """A stand-in model that predicts the given classes (two softmax outputs)."""

    def __init__(self, classes):
        self.classes = np.asarray(classes)

    def predict_on_batch(self, images):
        return np.eye(2)[self.classes[: len(images)]]


def test_the_table_explains_the_predicted_class_on_a_balanced_sample():
    labels = np.array([0, 1, 0, 1, 1, 0])
    masks = np.zeros((6, 8, 8), dtype=bool)
    masks[:, :, :2] = True  # a quarter of each image
    split = Split(np.zeros((6, 8, 8, 3), np.float32), labels, masks)
    seen = []

    def on_the_animal(images, classes):
        seen.append(list(classes))
        return [m.astype(float) for m in masks[: len(images)]]

    table = pointing.pointing_table(_Fixed([1, 1, 0, 0]), {"test": split}, {"maps": on_the_animal}, n=4)
    assert seen == [[1, 1, 0, 0]], "each map explains the class the model predicted"
    assert table == {"test": {"animal's share of the image": 0.25, "maps": 1.0}}
    images, sample_labels, _ = pointing.balanced_sample(split, 4)
    assert list(sample_labels) == [0, 0, 1, 1]


def test_coat_contrast_counts_changes_inside_the_animal_only():
    stripes = np.tile([0.0, 1.0], (8, 4))  # vertical stripes: every horizontal neighbour differs by 1
    assert pointing.coat_contrast(stripes, MASK) == 1.0
    assert pointing.coat_contrast(np.ones((8, 8)), MASK) == 0.0
    outline = np.where(MASK, 0.5, 0.0)  # the jump at the animal's edge is not its coat
    assert pointing.coat_contrast(outline, MASK) == 0.0
    assert pointing.coat_contrast(np.stack([stripes, np.ones((8, 8))], axis=-1), MASK) == 0.5


def test_pick_by_coat_takes_the_plainest_or_the_most_varied_large_enough_animal():
    images = np.zeros((3, 8, 8, 3))
    images[1] = np.tile([0.0, 1.0], (8, 4))[..., None]
    images[2] = np.tile([0.0, 0.5], (8, 4))[..., None]
    small = np.zeros((8, 8), dtype=bool)
    small[0, :2] = True
    split = Split(images, np.zeros(3, dtype=np.int64), np.stack([small, MASK, MASK]))
    assert pointing.pick_by_coat(split, plainest=False, min_share=0.1) == 1
    assert pointing.pick_by_coat(split, plainest=True, min_share=0.1) == 2, "image 0 is plainer but its animal too small"

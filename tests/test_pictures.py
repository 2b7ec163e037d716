"""The feedback's map pictures (autograder/pictures.py): matplotlib's jet colours, each picture in its panel."""
import matplotlib
import numpy as np

from autograder import pictures


def test_jet_is_matplotlibs_jet():
    values = np.linspace(0, 1, 1001)
    theirs = matplotlib.colormaps["jet"](values)[:, :3]
    # matplotlib reads a 256-colour table; jet's steepest channel rises by 1 over 0.23, so 1/256 apart is 0.017
    assert np.abs(pictures.jet(values) - theirs).max() < 0.02
    assert np.array_equal(pictures.jet([-1.0, 2.0, np.nan]), pictures.jet([0.0, 1.0, 0.0]))


def _panel(canvas, i):
    left, top = pictures.MARGIN + i * (pictures.PANEL + pictures.MARGIN), 2 * pictures.LINE
    return np.asarray(canvas)[top:top + pictures.PANEL, left:left + pictures.PANEL]


def test_each_picture_is_drawn_in_its_panel():
    image = np.zeros((128, 128, 3))
    image[:, :, 1] = 1.0  # green
    ramp = np.tile(np.linspace(0, 1, 128), (128, 1))  # left to right, 0 to 1
    canvas = pictures.row([(image, "image"), (ramp, "map"), (None, "none")], "heading")
    assert canvas.size == (pictures.MARGIN + 3 * (pictures.PANEL + pictures.MARGIN),
                           2 * pictures.LINE + pictures.PANEL + pictures.MARGIN)
    assert (_panel(canvas, 0) == [0, 255, 0]).all()
    drawn = _panel(canvas, 1)
    assert (drawn[:, 0] == np.uint8(np.round(pictures.jet(0.0) * 255))).all()  # dark blue on the left
    assert (drawn[:, -1] == np.uint8(np.round(pictures.jet(1.0) * 255))).all()  # dark red on the right
    empty = _panel(canvas, 2)
    assert (empty == 255).all(axis=2).mean() > 0.9 and (empty < 128).any()  # white, with the words "no map"
    titles = np.asarray(canvas)[:2 * pictures.LINE]
    assert (titles < 128).any(axis=2).sum() > 100  # the heading and titles are written

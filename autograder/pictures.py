"""The feedback's map pictures: a row of titled panels under a heading, drawn with numpy and Pillow.

The judge draws one such row per map exercise of every submission (``verify.compare_maps``). Drawn with
matplotlib, the three rows cost about 1 s of each submission's grading on 2 cores (0.5 s to import pyplot,
0.15 s a figure); drawn here, the whole judge takes 0.4 s instead of 1.3 s. Maps keep matplotlib's "jet" colours.
"""
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# matplotlib's "jet" colour map: red, green and blue as (position, value) points, linear in between
JET = (((0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)),
       ((0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)),
       ((0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)))
PANEL, MARGIN, LINE = 192, 8, 24  # pixels: a panel's side, the space around panels, a line of text
WHITE, INK = (255, 255, 255), (34, 34, 34)


def jet(values):
    """RGB colours in [0, 1] of values in [0, 1] (clipped; NaN as 0), as matplotlib's "jet" shows them."""
    values = _unit(values)
    return np.stack([np.interp(values, *zip(*points)) for points in JET], axis=-1)


def row(panels, heading):
    """A PIL image: ``heading``, then one panel per (picture, title) of ``panels``, each under its title.

    A picture is an RGB image (H, W, 3) or a map (H, W), both in [0, 1]; a map is drawn in jet colours, and
    None as the words "no map".
    """
    font = ImageFont.load_default(size=14)
    width = MARGIN + len(panels) * (PANEL + MARGIN)
    canvas = Image.new("RGB", (width, 2 * LINE + PANEL + MARGIN), WHITE)
    draw = ImageDraw.Draw(canvas)
    _centred(draw, (width / 2, LINE / 2), heading, font)
    for i, (picture, title) in enumerate(panels):
        left, top = MARGIN + i * (PANEL + MARGIN), 2 * LINE
        _centred(draw, (left + PANEL / 2, top - LINE / 2), title, font)
        if picture is None:
            _centred(draw, (left + PANEL / 2, top + PANEL / 2), "no map", font)
        else:
            canvas.paste(_panel(picture), (left, top))
    return canvas


def _panel(picture):
    picture = np.asarray(picture)
    rgb = jet(picture) if picture.ndim == 2 else _unit(picture[..., :3])
    return Image.fromarray(np.uint8(np.round(rgb * 255))).resize((PANEL, PANEL), Image.NEAREST)


def _unit(values):
    """Values as floats in [0, 1]: clipped, NaN as 0."""
    return np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), 0, 1)


def _centred(draw, centre, text, font):
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    _, top, _, bottom = draw.textbbox((0, 0), "Ag", font=font)  # one line height for all: titles share a baseline
    draw.text((centre[0] - (left + right) / 2, centre[1] - (top + bottom) / 2), text, fill=INK, font=font)

"""Is the model looking at the animal? The share of a saliency or Grad-CAM map that falls on it.

The synthetic images come with each animal's mask. A map's *pointing score* is the share of its mass that
lies on the animal: 1 means all of it. A map spread evenly over the image scores the animal's share of the
image's area: that is the baseline a map must beat to say "the model looks at the animal".
"""
import numpy as np

from cnnlab.models import predict_labels


def pointing_score(heatmap, mask):
    """Share of ``heatmap``'s mass (its non-negative values) inside ``mask``; both (H, W)."""
    heatmap = np.clip(np.asarray(heatmap, dtype=np.float64), 0.0, None)
    mask = np.asarray(mask, dtype=bool)
    total = heatmap.sum()
    return float(heatmap[mask].sum() / total) if total > 0 else float(mask.mean())


def balanced_sample(split, n):
    """The first ``n // 2`` images of each class of ``split``: (images, labels, masks)."""
    rows = np.concatenate([np.flatnonzero(split.labels == label)[: n // 2] for label in (0, 1)])
    return split.image(rows), split.labels[rows], split.masks[rows]


def pointing_table(model, splits, methods, n=16):
    """Mean pointing scores of ``model``'s maps on ``n`` images (half of each class) of each split.

    ``splits``: {name: Split with masks}; ``methods``: {name: f(images, classes) -> maps}, each map (H, W)
    explaining the class the model predicted for its image. Returns {split name: {row: value}}: first
    "animal's share of the image" (the baseline), then one row per method.
    """
    table = {}
    for name, split in splits.items():
        images, _, masks = balanced_sample(split, n)
        predicted = predict_labels(model, images)
        rows = {"animal's share of the image": float(np.mean(masks))}
        for method, explain in methods.items():
            maps = explain(images, predicted)
            rows[method] = float(np.mean([pointing_score(m, k) for m, k in zip(maps, masks)]))
        table[name] = rows
    return table


def print_table(table):
    """The table of ``pointing_table``, one row per line, one column per split."""
    names = list(table)
    print(f"{'':30s}" + "".join(f"{name:>18s}" for name in names))
    for row in table[names[0]]:
        print(f"{row:30s}" + "".join(f"{table[name][row]:18.2f}" for name in names))


def coat_contrast(image, mask):
    """Mean absolute change between horizontally neighbouring pixels that both lie in ``mask``.

    ``image``: (H, W) or (H, W, C), the change averaged over channels; ``mask``: (H, W) bool. Vertical stripes
    make it large, a plain coat small; pixels at the animal's outline or behind a fence do not count, as only
    pairs inside the mask do."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3:
        change = np.abs(np.diff(image, axis=1)).mean(axis=-1)
    else:
        change = np.abs(np.diff(image, axis=1))
    inside = mask[:, 1:] & mask[:, :-1]
    return float(change[inside].mean()) if inside.any() else 0.0


def pick_by_coat(split, plainest, n=20, min_share=1 / 6):
    """Index, among ``split``'s first ``n`` images whose animal covers at least ``min_share`` of the frame, of
    the one whose coat varies least (``plainest``) or most: the images a comparison of coats can show clearly."""
    shares = split.masks[:n].mean(axis=(1, 2))
    rows = [i for i in range(min(n, len(split))) if shares[i] >= min_share]
    contrasts = [coat_contrast(split.image(i), split.masks[i]) for i in rows]
    return rows[int(np.argmin(contrasts) if plainest else np.argmax(contrasts))]

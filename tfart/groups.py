"""Neuron groups: a layer's activations on a photograph, factorised into k groups of channels.

Lucid's "building blocks" (Olah et al., *The Building Blocks of Interpretability*, Distill 2018):
non-negative matrix factorization (scikit-learn's NMF) splits the [positions x channels] matrix
of activations A into W [positions x k] >= 0 and H [k x channels] >= 0 with A ~ W H. Each row of
H is a group: a direction in channel space, drawn with feature visualization; each column of W
says where on the photograph that group fires, drawn as a coloured mask.

    groups = neuron_groups(backbone(photo)["block4_conv3"][0], k=6)
    objective = sum(objectives.direction("block4_conv3", d, batch=i) for i, d in enumerate(groups.directions))
    sheet = figure(photo[0], groups, drawings)
"""
import dataclasses

import numpy as np
from PIL import Image, ImageDraw

from tfart.errors import UserError

# One colour per group (up to 12), as in the paper's figures: distinct hues, none too dark.
COLOURS = np.array([(230, 25, 75), (60, 180, 75), (255, 200, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
                    (70, 240, 240), (240, 50, 230), (210, 245, 60), (0, 128, 128), (170, 110, 40), (128, 128, 128)],
                   np.float32) / 255.0


@dataclasses.dataclass
class Groups:
    """spatial: [h, w, k] where each group fires; directions: [k, c], unit rows; error: the
    relative reconstruction error |A - W H| / |A|."""
    spatial: np.ndarray
    directions: np.ndarray
    error: float


def _nmf():
    try:
        from sklearn.decomposition import NMF, non_negative_factorization
    except ImportError:
        raise UserError("--mode groups: needs scikit-learn (pip install -e \".[perceive]\")") from None
    return NMF, non_negative_factorization


def _matrix(features):
    """[h, w, c] features -> [h*w, c] non-negative float64 (a pre-ReLU layer is cut at zero, as its ReLU would)."""
    features = np.asarray(features, np.float64)
    if features.ndim != 3:
        raise UserError(f"--layer: neuron groups need a spatial layer [h, w, c], got features of shape {features.shape}")
    return np.maximum(features.reshape(-1, features.shape[-1]), 0.0)


def _error(a, w, h):
    return float(np.linalg.norm(a - w @ h) / max(np.linalg.norm(a), 1e-12))


def neuron_groups(features, k=6, seed=0):
    """Groups of `features` [h, w, c] (one image's activations at a layer) by NMF into k groups,
    ordered by how much of the activation each carries."""
    NMF, _ = _nmf()
    a = _matrix(features)
    if not 1 <= k <= min(a.shape[1], len(COLOURS)):
        raise UserError(f"--groups: choose 1 to {min(a.shape[1], len(COLOURS))} groups for a layer of "
                        f"{a.shape[1]} channels, got {k}")
    if not a.any():
        raise UserError("--layer: the layer does not fire anywhere on this photograph (all activations are 0)")
    model = NMF(n_components=k, init="nndsvda", max_iter=1000, random_state=seed)
    w = model.fit_transform(a)
    h = model.components_
    norms = np.linalg.norm(h, axis=1) + 1e-12
    w, h = w * norms, h / norms[:, None]
    order = np.argsort(-w.sum(axis=0))
    w, h = w[:, order], h[order]
    return Groups(w.reshape(*np.shape(features)[:2], k).astype(np.float32), h.astype(np.float32), _error(a, w, h))


def random_split_error(features, k=6, seed=0):
    """The baseline: the channels split into k groups at random, each group's direction its
    channels alike, and W fitted to them by the same non-negative least squares. Its relative
    reconstruction error."""
    _, factorize = _nmf()
    a = _matrix(features)
    rng = np.random.default_rng(seed)
    h = np.zeros((k, a.shape[1]))
    h[rng.integers(0, k, a.shape[1]), np.arange(a.shape[1])] = 1.0
    h /= np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-12)
    w, _, _ = factorize(a, H=h, n_components=k, init="custom", update_H=False, max_iter=1000, random_state=seed)
    return _error(a, w, h)


def masks(photo, spatial):
    """The photograph [H, W, 3] in [0, 1] with each group's mask in its colour: the photo greyed,
    and every position tinted by the group that fires most there, as strongly as it fires."""
    height, width = photo.shape[:2]
    up = np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(spatial[..., i])).resize((width, height), Image.BILINEAR))
                   for i in range(spatial.shape[-1])], -1)
    up = up / max(float(up.max()), 1e-12)
    colour = COLOURS[np.argmax(up, axis=-1)]
    alpha = np.clip(np.max(up, axis=-1, keepdims=True) * 1.5, 0.0, 0.85)
    grey = np.repeat(photo.mean(axis=-1, keepdims=True), 3, -1) * 0.6 + 0.2
    return (grey * (1 - alpha) + colour * alpha).astype(np.float32)


def group_mask(photo, spatial, index):
    """One group's mask: the photograph greyed and tinted in the group's colour where it fires."""
    height, width = photo.shape[:2]
    up = np.asarray(Image.fromarray(np.ascontiguousarray(spatial[..., index])).resize((width, height), Image.BILINEAR))[..., None]
    alpha = np.clip(up / max(float(spatial[..., index].max()), 1e-12), 0.0, 1.0) * 0.85
    grey = np.repeat(photo.mean(axis=-1, keepdims=True), 3, -1) * 0.6 + 0.2
    return (grey * (1 - alpha) + COLOURS[index] * alpha).astype(np.float32)


def figure(photo, groups, drawings, title="", cell=128, gap=6):
    """The figure, in the manner of the paper: the photograph and where every group fires (top),
    then for each group its feature visualization framed in its colour over its own mask.
    photo: [H, W, 3]; drawings: [k, h, w, 3] in [0, 1]. Returns uint8 [H', W', 3]."""
    k = len(drawings)
    side = max(2 * cell + gap, 160)
    scale = side / max(photo.shape[:2])
    size = (max(1, round(photo.shape[1] * scale)), max(1, round(photo.shape[0] * scale)))

    def picture(image, wh):
        return Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8)).resize(wh, Image.LANCZOS)

    columns = max(k, 2 * (size[0] + gap) // (cell + gap) + 1)
    width = max(columns * (cell + gap) + gap, 2 * size[0] + 3 * gap)
    text = 14
    mask_height = min(cell, round(cell * size[1] / size[0]))
    height = text + gap + size[1] + 2 * gap + text + cell + 2 * gap + mask_height + gap
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    draw.text((gap, 2), title or "photograph and its neuron groups", fill=(0, 0, 0))
    top = text + gap
    sheet.paste(picture(photo, size), (gap, top))
    sheet.paste(picture(masks(photo, groups.spatial), size), (2 * gap + size[0], top))
    row = top + size[1] + 2 * gap
    draw.text((gap, row), f"each group: what it draws, and where it fires ({k} groups by NMF, "
              f"relative error {groups.error:.3f})", fill=(0, 0, 0))
    row += text
    for i in range(k):
        x = gap + i * (cell + gap)
        rgb = tuple(int(c * 255) for c in COLOURS[i])
        draw.rectangle([x - 3, row - 3, x + cell + 2, row + cell + 2], fill=rgb)
        sheet.paste(picture(drawings[i], (cell, cell)), (x, row))
        thumb = picture(group_mask(photo, groups.spatial, i), (cell, round(cell * size[1] / size[0])))
        sheet.paste(thumb.crop((0, 0, cell, mask_height)), (x, row + cell + 2 * gap))
    return np.asarray(sheet)

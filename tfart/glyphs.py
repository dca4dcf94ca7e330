"""Letters from installed fonts: a real, sharp, offline image collection.

    fonts, skipped = glyphs.find_fonts()                 # the fonts installed packages ship
    split = glyphs.split_fonts(fonts)                    # {'train': [...], 'val': [...], 'test': [...]}
    images, labels = glyphs.render(split["train"], size=32)   # [N, 32, 32, 1] in [0, 1], [N] indices
    data = glyphs.dataset(split["train"], size=32)       # the same as a tf.data set of (image, label)

Pillow renders each character of each font; the glyph is cropped to its ink, scaled so its longer
side fills FILL of the square (aspect kept) and centred: white ink on black, like the digits.
Where the fonts come from: matplotlib ships the DejaVu, STIX and Computer Modern families, and the
packages of the Python Fonts collection (font-roboto, font-source-serif-pro, ...) each ship one
family in their `files/` folder; all are under the SIL Open Font License or Apache 2.0 (or
Bitstream Vera's and the BaKoMa fonts' free licences), so they may be redistributed.
Splits are by family: every weight and italic of a family goes to one split, so a test font is
never seen in training, not even in another weight.
"""
import hashlib
import importlib.util
import os
import pkgutil
import re
import string

import numpy as np

from tfart.errors import UserError

# The classes: the 26 capitals. With digits too, O/0 and I/1 are the same shape in many fonts
# once each glyph is scaled to its own box; a judge could not be right on them.
LETTERS = string.ascii_uppercase
FILL = 0.8  # the glyph's longer side, as a fraction of the square
TRIES = 20  # bands drawn per fragment (fragments)
RENDER_PX = 96  # the size Pillow renders at, before the glyph is scaled down (antialiased)
# Installed font files that are not letters: a fallback font of boxes and two TeX symbol fonts
# whose character map puts brackets and operators at the letters' codes.
NOT_LETTERS = {"LastResortHE-Regular", "cmex10", "cmsy10"}
# Families whose members name themselves apart: Knuth's Computer Modern (BaKoMa TrueType files).
COMPUTER_MODERN = re.compile(r"^cm[a-z]+\d+$")
WEIGHTS = re.compile(r"\b(Thin|ExtraLight|Light|Medium|SemiBold|Semibold|Bold|ExtraBold|Black)\b")
SPLITS = {"test": 0.2, "val": 0.1}  # shares of the families; the rest trains


def package_font_folders():
    """Folders of font files that installed packages ship (matplotlib's, and each `font_*`
    package's files/), found without importing them."""
    folders = []
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.origin:
        folders.append(os.path.join(os.path.dirname(spec.origin), "mpl-data", "fonts", "ttf"))
    for module in sorted(m.name for m in pkgutil.iter_modules() if m.name.startswith("font_")):
        spec = importlib.util.find_spec(module)
        if spec and spec.origin:
            folders.append(os.path.join(os.path.dirname(spec.origin), "files"))
    return [f for f in folders if os.path.isdir(f)]


class Font:
    """A font file that renders every character asked for: path, name (the file's stem), family."""

    def __init__(self, path, family):
        self.path, self.name, self.family = path, os.path.splitext(os.path.basename(path))[0], family

    def __repr__(self):
        return f"Font({self.name!r}, family={self.family!r})"


def family_of(pillow_font, name):
    """A font's family without its weight: 'Roboto Black' -> 'Roboto'; cmr10 -> 'Computer Modern'."""
    if COMPUTER_MODERN.match(name):
        return "Computer Modern"
    family = pillow_font.getname()[0] or name
    return re.sub(r"\s+", " ", WEIGHTS.sub("", family)).strip() or family


def _ink(pillow_font, character):
    """The character's antialiased mask as uint8 [h, w] (empty if nothing is drawn)."""
    mask = pillow_font.getmask(character)
    return np.asarray(mask, np.uint8).reshape(mask.size[1], mask.size[0])


def find_fonts(folders=None, characters=LETTERS, flag="--fonts"):
    """The usable fonts in `folders` (default: package_font_folders()): ([Font], skipped), where
    `skipped` counts files that Pillow cannot load or that lack a character (drawn as the font's
    missing-glyph box). A .ttf and an .otf of the same name count once; variable fonts, whose
    default instance repeats a static file, and NOT_LETTERS are left out."""
    from PIL import ImageFont
    folders = package_font_folders() if folders is None else list(folders)
    for folder in folders:
        if not os.path.isdir(folder):
            raise UserError(f"{flag}: no such folder {folder!r}")
    files = {}
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            stem, suffix = os.path.splitext(name)
            if suffix.lower() not in (".ttf", ".otf") or stem in NOT_LETTERS or "VariableFont" in stem:
                continue
            if stem not in files or suffix.lower() == ".ttf":
                files[stem] = os.path.join(folder, name)
    fonts, skipped = [], 0
    for stem, path in sorted(files.items()):
        try:
            font = ImageFont.truetype(path, RENDER_PX)
            missing = _ink(font, "\ue000").tobytes()  # a private-use code: the missing-glyph box
            inks = [_ink(font, c) for c in characters]
            if any(not ink.any() or ink.tobytes() == missing for ink in inks):
                skipped += 1
                continue
        except (OSError, ValueError):
            skipped += 1
            continue
        fonts.append(Font(path, family_of(font, stem)))
    if not fonts:
        where = ", ".join(repr(f) for f in folders) or "no font folders (pip install -e \".[glyphs]\")"
        raise UserError(f"{flag}: no font that draws {characters!r} in {where}"
                        + (f" ({skipped} font files skipped)" if skipped else ""))
    return fonts, skipped


def split_fonts(fonts, shares=SPLITS):
    """{'train', 'val', 'test'} -> [Font], by family: a family goes where a hash of its name falls,
    so adding a font package moves no other family. val and test get a family each at least
    (when there are three); train keeps the rest."""
    families = sorted({f.family for f in fonts},
                      key=lambda name: hashlib.sha256(name.encode()).hexdigest())
    count = len(families)
    test = max(1, round(shares["test"] * count)) if count >= 3 else 0
    val = max(1, round(shares["val"] * count)) if count >= 3 else 0
    where = {name: "test" if i < test else "val" if i < test + val else "train" for i, name in enumerate(families)}
    return {split: [f for f in fonts if where[f.family] == split] for split in ("train", "val", "test")}


def glyph(font, character, size):
    """One character of a Pillow font, cropped to its ink, scaled to fit FILL of the square and
    centred: [size, size] float32 in [0, 1], white ink on black."""
    from PIL import Image
    ink = _ink(font, character)
    rows, cols = np.nonzero(ink)
    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = FILL * size / max(ink.shape)
    h, w = max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale))
    small = np.asarray(Image.fromarray(ink).resize((w, h), Image.LANCZOS), np.float32) / 255.0
    out = np.zeros((size, size), np.float32)
    top, left = (size - h) // 2, (size - w) // 2
    out[top:top + h, left:left + w] = small
    return out.clip(0.0, 1.0)


def render(fonts, size=32, characters=LETTERS):
    """Every character of every font: (images [N, size, size, 1] float32 in [0, 1], white ink on
    black; labels [N] int32, the character's index in `characters`), font by font."""
    from PIL import ImageFont
    images, labels = [], []
    for font in fonts:
        pillow_font = ImageFont.truetype(font.path, RENDER_PX)
        for label, character in enumerate(characters):
            images.append(glyph(pillow_font, character, size))
            labels.append(label)
    return np.stack(images)[..., None], np.asarray(labels, np.int32)


def dataset(fonts, size=32, characters=LETTERS):
    """render() as a tf.data set of (image [size, size, 1], label) pairs."""
    import tensorflow as tf
    return tf.data.Dataset.from_tensor_slices(render(fonts, size, characters))


def picture(font_name, character, path, size=32, folders=None):
    """Write one glyph as a grey PNG file (e.g. to encode with tfart-render --walk): the font of
    find_fonts(folders) named `font_name` (a file's stem, e.g. 'Caladea-Bold'). Returns `path`."""
    from tfart import imaging
    fonts = {f.name: f for f in find_fonts(folders, characters=character)[0]}
    if font_name not in fonts:
        raise UserError(f"no font named {font_name!r}; installed: {', '.join(sorted(fonts))}")
    image = render([fonts[font_name]], size, character)[0][0]
    return imaging.save_png(path, np.repeat(image, 3, axis=-1), grey=True)


def describe(split):
    """What split_fonts chose, for a JSON file beside a model: {split: [font names]}."""
    return {name: [f.name for f in fonts] for name, fonts in split.items()}


def scribbles(count, size=32, seed=0, strokes=(1, 6)):
    """Drawings that are no letter: 1 to 5 random curves each, as wide as a font's strokes, white
    on black like the glyphs: [count, size, size, 1] float32 in [0, 1]."""
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(seed)
    scale = 4  # drawn at 4x, then scaled down: antialiased
    out = np.zeros((count, size, size, 1), np.float32)
    for i in range(count):
        canvas = Image.new("L", (size * scale, size * scale))
        draw = ImageDraw.Draw(canvas)
        for _ in range(rng.integers(*strokes)):
            p0, p1, p2 = rng.uniform(-0.1, 1.1, (3, 2)) * size * scale
            t = np.linspace(0, 1, 24)[:, None]
            curve = (1 - t) ** 2 * p0 + 2 * t * (1 - t) * p1 + t ** 2 * p2  # a quadratic Bezier
            draw.line([tuple(p) for p in curve], fill=255, width=int(rng.uniform(1, 3.5) * scale), joint="curve")
        out[i, ..., 0] = np.asarray(canvas.resize((size, size), Image.LANCZOS), np.float32) / 255.0
    return out


def fragments(images, seed=0, keep=(0.3, 0.7), most_ink=0.7):
    """Parts of glyphs: each of `images` [N, S, S, 1] with all but a random band (a `keep` share of
    its rows or columns, at a random place) blacked out: [N, S, S, 1]. A band is drawn again (up to
    TRIES times, then the one that kept least is used) while it keeps more than `most_ink` of the
    glyph's ink: a band that holds a whole I, a narrow glyph, is no part of it, and taught as "no
    letter" it capped the judge's belief in real I's (test-font median p 0.67 in the v2 judge)."""
    rng = np.random.default_rng(seed)
    out = np.zeros_like(images)
    size = images.shape[1]
    for i, image in enumerate(images):
        least = np.inf
        for _ in range(TRIES):
            width = int(rng.uniform(*keep) * size)
            start = rng.integers(0, size - width + 1)
            band = np.zeros_like(image)
            if rng.random() < 0.5:
                band[start:start + width] = image[start:start + width]
            else:
                band[:, start:start + width] = image[:, start:start + width]
            kept = band.sum()
            if kept < least:
                out[i], least = band, kept
            if kept <= most_ink * image.sum():
                break
    return out

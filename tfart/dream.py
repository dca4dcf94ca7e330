"""DeepDream and feature visualization: their parts and each backbone's defaults.

    backbone = tfart.Backbone("vgg16", ["block4_conv3"], weights="hed")
    result = dream.deepdream(photo, objectives.layer("block4_conv3"), backbone,
                             settings=tfart.Settings(steps=40, lr=0.02), octaves=4,
                             outputs=tfart.Outputs(png="out/dream.png"))

DeepDream (Mordvintsev et al. 2015, the TensorFlow tutorial's method) starts from a photograph
and excites a layer, octave by octave: the backbone sees the picture shrunk by octave_scale**k,
from the smallest octave up to the full size, so patterns grow at every scale. Here the pixels
stay at full size and the shrinking is a differentiable resize in front of the backbone: every
octave adds to the same full-resolution image, and the photograph's detail is never resampled
away. Each octave is one job on the runner (tfart.jobs.run).

A large photograph is evaluated in tiles: `tiled()` wraps an objective so that the backbone sees
one tile at a time, forward and backward, after a random roll of the image that moves the tile
seams at every step. Memory then depends on the tile, not the photograph (benchmarks/dream_tiles.py).
"""
import dataclasses

import tensorflow as tf

from tfart import backbones, generators, jobs, monitors, objectives
from tfart.errors import UserError
from tfart.objectives import Context, Objective
from tfart.style_transfer import FOURIER_FEATURES, HASH_GRID


@dataclasses.dataclass(frozen=True)
class Defaults:
    """One backbone's defaults for dreaming and visualizing.

    dream_layers: the layers DeepDream excites (their mean squared activations, summed).
    dream_lr, dream_steps: Adam's step on the pixel logits and the steps per octave.
    octaves, octave_scale: how many scales, and the factor between neighbouring ones.
    channel: the objective visualized when --objective is not given. size: its canvas side.
    """
    dream_layers: tuple
    channel: str
    # Adam moves every pixel by about lr per step whatever its gradient, so DeepDream's steps are
    # small: on skimage:chelsea with --weights hed, lr 0.02 x 40 steps x 4 octaves dissolves the
    # cat into a dotted mat; 0.01 x 30 leaves the cat under the pattern (README picture).
    dream_lr: float = 0.01
    dream_steps: int = 30
    octaves: int = 4
    octave_scale: float = 1.4
    size: int = 224
    steps: int = 256


DEFAULTS = {
    # The TensorFlow tutorial's choice for InceptionV3 (mixed3 + mixed5, octave scale 1.3); not
    # judged here, where no trained InceptionV3 can be downloaded.
    "inception_v3": Defaults(dream_layers=("mixed3", "mixed5"), channel="mixed4:97", octave_scale=1.3,
                             size=224),
    # Channels are visualized before the ReLU, as Lucid does: after it, a channel that is zero all
    # over the grey start has no gradient and never moves (with --weights hed, 2 of 8 channels of
    # block3_conv3 stayed exactly 0 on pixels).
    # Judged with the trained VGG16 of --weights hed (README pictures); VGG19's are VGG16's,
    # moved to the same place in the network, and not judged (no trained VGG19 offline).
    "vgg16": Defaults(dream_layers=("block4_conv3",), channel="block4_conv3_pre_relu:12", size=160),
    "vgg19": Defaults(dream_layers=("block4_conv4",), channel="block4_conv4_pre_relu:12", size=160),
}


# Each parameterization's learning rate and generator for visualizing (generators.make keywords).
# CPPNs take the style recipe's Fourier features (style_transfer.FOURIER_FEATURES) and Lucid's
# decorrelated colour. With --weights hed, block4_conv3:12 (after the ReLU) at 128 px and 256 steps, the smooth
# CPPN start reaches a third of pixel's activation and draws one blurry blob; these reach 0.8.
VISUALIZE = {
    "pixel": (0.05, {}),
    "fft": (0.05, {}),
    "cppn": (0.01, {**FOURIER_FEATURES, "decorrelate": True}),
    "fourier_cppn": (0.01, {**FOURIER_FEATURES, "detail": 0.003, "decorrelate": True}),
    # The style recipes' hash grid, and perception's strokes (tfart-perceive's lr): for caricatures.
    "hashgrid": (0.01, HASH_GRID),
    "strokes": (0.05, {"strokes": 128}),
}


# The learning rate of a search in a trained decoder's latent space (tfart-dream --generator).
LATENT_LR = 0.05


def visualization_generator(parameterization, size, seed=0, batch=1, latent_dim=8, width=None):
    """The generator a visualization optimizes on a size x size canvas (size x width when given),
    and its learning rate: (generator, lr).

    A batch of CPPNs shares one network and differs in its latent codes (latent_dim > 0)."""
    lr, kwargs = VISUALIZE[parameterization]
    latent = {"latent_dim": latent_dim if batch > 1 else 0} if parameterization in ("cppn", "fourier_cppn") else {}
    if batch > 1 and parameterization in ("hashgrid", "strokes"):
        raise UserError(f"--parameterization {parameterization}: draws one picture at a time; use pixel, fft, "
                        "cppn or fourier_cppn for a batch")
    return generators.make(parameterization, size, width or size, seed=seed, batch=batch, **latent, **kwargs), lr


def defaults(source):
    """The Defaults of a backbone: DEFAULTS for the networks above, else chosen from its layers
    (backbones.Layers: DeepDream and channel 0 at three quarters of the depth), drawn at the
    input size of a fixed-size model file, else at 224 px."""
    if source in DEFAULTS:
        return DEFAULTS[source]
    layers = backbones.layers_of(source)
    size = min(layers.size) if backbones.is_file(source) else 224
    return Defaults(dream_layers=(layers.deep,), channel=f"{layers.deep}:0", size=max(size, 32))


def diversity_layer(layer):
    """The layer at which a batch's images are made to differ: `layer` after its ReLU.

    With --weights hed, channel 230 of block4_conv3_pre_relu drawn 4 times with --diversity 10:
    compared before the ReLU, one of the four gave the channel up for a grey field of fine
    gratings; compared after it, all four keep the channel's scales and vary their size, layout
    and colour (one gives up at --diversity 30)."""
    return layer[:-len(backbones.PRE_RELU)] if layer.endswith(backbones.PRE_RELU) else layer


def dream_objective(layers, weights=None):
    """DeepDream's objective: excite each layer (minus its mean squared activation), weighted."""
    weights = [1.0] * len(layers) if weights is None else [float(w) for w in weights]
    if len(weights) != len(layers):
        raise UserError(f"--layer_weights: {len(weights)} weights for {len(layers)} layers")
    return sum((w * objectives.layer(layer) for layer, w in zip(layers, weights)), 0)


def tiled(objective, backbone, tile=512, roll=True, size=None):
    """`objective` evaluated on the image tile by tile, each tile seen by the backbone alone.

    size: (h, w) to resize the image to first (an octave of DeepDream), or None. The image is
    rolled by a random shift (the seams move at every step, so no seam is drawn), cut into
    near-equal tiles of at most `tile` x `tile`, and each tile's value is weighted by its share
    of the image, so a mean over positions stays a mean. The gradient is computed tile by
    tile too, one after another, so only one tile's activations are alive at a time, in a
    tf.function or eagerly under a tape that watches only what it trains (optimize's; a default
    tape also watches the backbone's weights, which Keras leaves trainable for TF). The result
    is an objective with no layers of its own: the loop hands it the image, not features.
    """
    def value(image):
        height, width = image.shape[1], image.shape[2]
        boxes = [(top, left, th, tw) for top, th in _split(height, tile) for left, tw in _split(width, tile)]

        def one(crop):
            return objective(Context(image=crop, features=backbone(crop)))

        @tf.custom_gradient
        def total(image):
            result = tf.constant(0.0)
            for top, left, th, tw in boxes:
                with tf.control_dependencies([result]):  # one tile after another
                    crop = tf.identity(image[:, top:top + th, left:left + tw])
                # An outer tape records what custom_gradient runs, and in eager mode would keep
                # every tile's activations alive for a backward pass that `grad` does instead.
                result = result + one(tf.stop_gradient(crop)) * (th * tw / (height * width))

            def grad(upstream, variables=None):
                grads = tf.zeros_like(image)
                for top, left, th, tw in boxes:
                    with tf.control_dependencies([grads]):
                        crop = tf.identity(image[:, top:top + th, left:left + tw])
                    with tf.GradientTape() as tape:
                        tape.watch(crop)
                        part = one(crop)
                    g = tape.gradient(part, crop) * (upstream * th * tw / (height * width))
                    grads = grads + tf.pad(g, [[0, 0], [top, height - top - th], [left, width - left - tw], [0, 0]])
                # The backbone is frozen: its variables, read inside, get no gradient.
                return grads, [None] * len(variables or [])
            return result, grad
        return total(image)

    def fn(ctx):
        image = ctx.image
        if size is not None and tuple(size) != tuple(image.shape[1:3]):
            image = tf.image.resize(image, size, antialias=True)  # differentiable, unlike "area"
        if roll:
            shift = [tf.random.uniform([], 0, image.shape[axis], tf.int32) for axis in (1, 2)]
            image = tf.roll(image, shift, axis=[1, 2])
        return value(image)
    return Objective(fn, objective.name, units=objective.units)


def _split(length, tile):
    """(start, length) of the fewest near-equal parts of at most `tile` that cover `length`
    (equal parts: no sliver of a tile smaller than the backbone takes)."""
    count = -(-length // tile)
    edges = [round(i * length / count) for i in range(count + 1)]
    return [(a, b - a) for a, b in zip(edges, edges[1:])]


def octave_sizes(height, width, octaves, scale, min_size, flag="--octaves"):
    """[(h, w)] from the smallest octave to the full size; a UserError if the smallest is too small."""
    if octaves < 1 or not scale >= 1:
        raise UserError(f"{flag}: need at least 1 octave and --octave_scale >= 1, got {octaves} and {scale}")
    sizes = [(max(1, round(height / scale ** k)), max(1, round(width / scale ** k)))
             for k in reversed(range(octaves))]
    small = sizes[0]
    if min(small) < min_size:
        raise UserError(f"{flag}: {octaves} octaves at scale {scale:g} shrink the {width}x{height} "
                        f"photograph to {small[1]}x{small[0]}, below the backbone's {min_size} px; "
                        "use fewer octaves or a larger photograph")
    return sizes


def deepdream(photo, objective, backbone, settings, outputs=None, octaves=4, octave_scale=1.4,
              tile=512, watch=()):
    """DeepDream of `photo` ([1, H, W, 3] in [0, 1]) against `objective` (a layer objective over
    `backbone`'s features): one job per octave on the same full-size pixels. A JobResult.

    settings.steps are the steps of each octave. outputs: the PNG is rewritten after every octave
    (so an interrupted dream keeps what it made), the time-lapse covers every octave.
    """
    outputs = outputs or jobs.Outputs()
    height, width = photo.shape[1:3]
    sizes = octave_sizes(height, width, octaves, octave_scale, backbone.min_size)
    if tile < 2 * backbone.min_size:
        raise UserError(f"--tile: {backbone.name} needs tiles of at least {2 * backbone.min_size} px "
                        f"(so that no part of a tile is under {backbone.min_size} px), got {tile}")
    outputs.check()
    settings.check()
    generator = generators.PixelImage(height, width)
    generator.assign_image(photo)
    timelapse = [monitors.Timelapse(outputs.timelapse, outputs.timelapse_every, grey=outputs.grey)] \
        if outputs.timelapse else []
    stage = dataclasses.replace(outputs, timelapse=None, export=None, checkpoints=None)
    steps, losses = 0, []
    for k, (h, w) in enumerate(sizes):
        stage.label = f"octave {k + 1}/{len(sizes)}, step"
        result = jobs.run(generator, tiled(objective, backbone, tile, size=(h, w)), None,
                          height=height, width=width, settings=settings, outputs=stage,
                          watch=[*timelapse, *watch])
        steps, losses = steps + result.step, losses + result.losses
        if result.stopped != "done":
            break
    written = result.written + ([outputs.timelapse] if outputs.timelapse else [])
    return jobs.JobResult(result.stopped, "optimize", steps, losses, list(dict.fromkeys(written)))

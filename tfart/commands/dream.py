"""DeepDream, feature visualization, channel atlases, aligned interpolations, neuron groups and
caricatures, on any parameterization, through any network.

    tfart-dream --mode dream --image skimage:chelsea --weights hed --out out/dream.png
    tfart-dream --mode visualize --objective block4_conv3:12 --weights hed --out out/channel.png
    tfart-dream --mode visualize --objective "0.5*block4_conv3:12 - block4_conv3:7" --batch 4 \\
        --diversity 100 --weights hed --out out/diverse.gif
    tfart-dream --mode visualize --parameterization cppn --weights hed --upscale 4 --export out/channel_model
    tfart-dream --mode atlas --layer block4_conv3 --channels 16 --weights hed --out out/atlas.png
    tfart-dream --mode interpolate --objective block4_conv3:12 --to block4_conv3:33 --weights hed --out out/morph.png
    tfart-dream --mode groups --image skimage:chelsea --layer block4_conv3 --weights hed --out out/groups.png
    tfart-dream --mode caricature --image skimage:chelsea --layer block4_conv3 --weights hed --out out/caricature.png
    tfart-dream --backbone my_classifier.keras --list_layers

dream: excite --layers of a photograph, octave by octave (--octaves, --octave_scale), in tiles of
--tile pixels, so a large photograph runs in bounded memory; --steps and --lr are per octave.
visualize: draw from scratch what excites --objective: LAYER:CHANNEL, neuron:LAYER:CHANNEL,
dream:LAYER, class:INDEX or probability:INDEX (backbones with their classification top), each
with a W* weight, joined by + and -. --batch N draws N at once, --diversity W makes them differ.
atlas: one visualization for each of the first --channels K channels of --layer (or of the
channels listed), drawn in one batched run and written as a labelled contact sheet.
interpolate: --frames pictures that morph from --objective into --to (tfart.interpolation),
written as a sheet and a GIF beside it; pixel and fft frames are tied by --alignment, a CPPN's
frames are one network along a line in its latent space.
groups: --groups neuron groups of --layer on --image by NMF (tfart.groups), each drawn, with
where it fires on the photograph: one figure.
caricature: draw what --layer sees in --image (feature inversion), from noise.

The backbone is InceptionV3 (the DeepDream network) unless --backbone or --weights hed (the
trained VGG16 that works offline) says otherwise; --backbone also takes a model file of your own
(--list_layers prints its layers; --input_range says what pixel values it takes). Each network
has its own defaults (tfart.dream.defaults). --out x.png writes x.png; x.gif writes that
time-lapse and x.png beside it; a folder gets MODE.png. (scripts/dream.py is the same command.)
"""
import os

from absl import flags

from tfart import cli

FLAGS = flags.FLAGS
DEFAULTS = "the backbone's, see tfart.dream.DEFAULTS"
MODES = ["dream", "visualize", "atlas", "interpolate", "groups", "caricature"]
flags.DEFINE_enum("mode", "visualize", MODES, "What to make (see above).")
flags.DEFINE_string("image", None, "dream, groups, caricature: the photograph (a path or skimage:NAME).")
flags.DEFINE_list("layers", None, f"dream: the layers to excite (default: {DEFAULTS}).")
flags.DEFINE_list("layer_weights", None, "dream: a weight per layer (equal by default).")
flags.DEFINE_integer("octaves", None, f"dream: scales, each octave_scale smaller (default: {DEFAULTS}).")
flags.DEFINE_float("octave_scale", None, f"dream: size ratio between octaves (default: {DEFAULTS}).")
flags.DEFINE_integer("tile", 512, "dream: the backbone sees tiles of at most this side.")
flags.DEFINE_string("objective", None, f"visualize: what to excite (default: {DEFAULTS}).")
flags.DEFINE_enum("parameterization", "fft", ["pixel", "fft", "cppn", "fourier_cppn", "hashgrid", "strokes"],
                  "visualize, atlas, interpolate, groups, caricature: what is optimized (hashgrid and "
                  "strokes draw one picture at a time).")
flags.DEFINE_string("to", None, "interpolate: the objective the frames morph into (from --objective).")
flags.DEFINE_integer("frames", 8, "interpolate: frames of the morph.")
flags.DEFINE_float("alignment", 3.0, "interpolate: weight of the penalty that keeps neighbouring frames alike "
                   "(pixel, fft; 0: off; a CPPN's frames are aligned by construction).")
flags.DEFINE_integer("groups", 6, "groups: how many neuron groups.")
flags.DEFINE_float("power", 1.0, "caricature: the power of the cosine similarity (higher: closer to the photo's view).")
flags.DEFINE_string("generator", None, "visualize, atlas: search the latent space of a trained generator "
                    "(a .keras file, e.g. OUT/decoder.keras of tfart-train-latent) instead of a new --parameterization.")
flags.DEFINE_enum("train", None, ["weights", "latent", "both"], "Which variables move (default: latent with "
                  "--generator, so its trained weights stay frozen; otherwise both for a CPPN batch, else weights).")
flags.DEFINE_integer("batch", 1, "visualize: images drawn at once (a CPPN batch differs in its latent codes).")
flags.DEFINE_float("diversity", 0.0, "visualize: weight of the diversity penalty between the batch's images.")
flags.DEFINE_string("layer", None, f"atlas, groups, caricature: the layer (default: that of {DEFAULTS} objective).")
flags.DEFINE_list("channels", ["16"], "atlas: K for the first K channels, or a list of channels.")
flags.DEFINE_integer("size", None, "visualize, atlas, interpolate: canvas side; dream, groups, caricature: longer "
                     "side of the photograph (groups draws at most 160 px) "
                     f"(default: {DEFAULTS} for visualize, the photograph's own size for dream).")
flags.DEFINE_integer("latent_dim", 8, "Latent size of a CPPN batch.")
cli.define_optimization_flags(out="out/dream", recipe=DEFAULTS, layers_of="inception_v3",
                              transforms=None)
cli.positive("tile")
cli.positive("octaves", 12)
cli.at_least("octave_scale", 1.0)
cli.positive("batch", 64)
cli.at_least("diversity", 0.0)
cli.positive("size", 4096)
cli.at_least("latent_dim", 1)
cli.positive("frames", 64)
flags.register_validator("frames", lambda v: v >= 2, message="an interpolation needs at least 2 frames")
cli.at_least("alignment", 0.0)
cli.positive("groups", 12)
cli.at_least("power", 0.0)
flags.register_validator("layer_weights", lambda v: v is None or all(cli.is_weight(w) for w in v),
                         message="must be non-negative numbers, one per layer")
flags.register_validator("channels", lambda v: bool(v) and all(c.strip().isdigit() for c in v)
                         and (len(v) > 1 or int(v[0]) >= 1),
                         message="give K >= 1 (the first K channels) or a list of channel numbers")


def main(argv):
    from tfart import dream

    if FLAGS.list_layers:
        cli.list_layers()
        return
    cli.use_seed()
    defaults = _Lazy(lambda: dream.defaults(cli.backbone_name()))
    outputs = cli.outputs(FLAGS.mode)
    outputs.check()
    make = {"dream": _dream, "visualize": _visualize, "atlas": _visualize, "interpolate": _interpolate,
            "groups": _groups, "caricature": _caricature}[FLAGS.mode]
    make(defaults, outputs)


class _Lazy:
    """The backbone's defaults, found (which may load a model file) only when a flag is left unset."""

    def __init__(self, find):
        self.find, self.value = find, None

    def __getattr__(self, name):
        if self.value is None:
            self.value = self.find()
        return getattr(self.value, name)


def _refuse(flags_, why):
    from tfart.errors import UsageError
    for flag in flags_:
        if FLAGS[flag].present and FLAGS[flag].value not in (None, False, 0):
            raise UsageError(f"--{flag}: {why}")


def _dream(defaults, outputs):
    from tfart import dream, imaging
    from tfart.errors import UsageError
    if not FLAGS.image:
        raise UsageError("--image: dream mode needs a photograph (a path or skimage:NAME)")
    for flag in ("export", "upscale", "resume", "generator", "train", "subpixel"):
        if FLAGS[flag].value:
            raise UsageError(f"--{flag}: dream mode paints the photograph's pixels octave by "
                             "octave; it keeps no generator or checkpoints")
    if FLAGS.transforms == "standard":
        raise UsageError("--transforms: dream mode moves the photograph by its own random roll")
    layers = FLAGS.layers or list(defaults.dream_layers)
    objective = dream.dream_objective(layers, FLAGS.layer_weights)
    backbone = cli.backbone(layers, "--layers")
    _spatial(backbone, layers, "--layers")
    cli.grey_for(backbone, outputs)
    photo = imaging.load_image(FLAGS.image, FLAGS.size, "--image")
    octaves, scale = FLAGS.octaves or defaults.octaves, FLAGS.octave_scale or defaults.octave_scale
    dream.octave_sizes(*photo.shape[1:3], octaves, scale, backbone.min_size)
    settings = cli.settings("weights", defaults.dream_steps, defaults.dream_lr)
    result = dream.deepdream(photo, objective, backbone, settings, outputs, octaves, scale, FLAGS.tile)
    cli.finish(result)


def _spatial(backbone, layers, flag):
    """A one-line error for a layer with no spatial output where the mode needs one."""
    from tfart.errors import UsageError
    for layer in layers:
        if not backbone.spatial(layer):
            raise UsageError(f"{flag}: {layer} of {backbone.name} has no spatial output [height, width, channels] "
                             f"(its output: {tuple(backbone.model.output[layer].shape)}); "
                             "choose a convolutional layer (--list_layers)")


def _visualize(defaults, outputs):
    from tfart import dream, objectives
    from tfart.errors import UsageError
    if FLAGS.mode == "atlas":
        layer = FLAGS.layer or defaults.channel.split(":")[0]
        backbone = cli.backbone([layer], "--layer")
        _spatial(backbone, [layer], "--layer")
        count = backbone.channels(layer)
        channels = list(range(int(FLAGS.channels[0]))) if len(FLAGS.channels) == 1 else \
            [int(c) for c in FLAGS.channels]
        if max(channels) >= count:
            raise UsageError(f"--channels: {layer} has {count} channels (0..{count - 1}), got "
                             f"{FLAGS.channels[0] if len(FLAGS.channels) == 1 else max(channels)}")
        parts = sum(objectives.channel(layer, c, batch=i) for i, c in enumerate(channels))
        objective = objectives.Objective(parts, f"atlas:{layer}", parts.layers)  # one progress column
        batch, outputs.labels = len(channels), [f"{layer}:{c}" for c in channels]
    else:
        objective = objectives.parse(FLAGS.objective or defaults.channel, "--objective")
        if FLAGS.diversity:
            if FLAGS.batch < 2:
                raise UsageError("--diversity: needs a batch of images to differ (--batch 2 or more)")
            layer = next((layer for layer in objective.layers if layer != objectives.LOGITS), None)
            if layer is None:
                raise UsageError("--diversity: needs a layer in --objective to compare the images at")
            # Compared after the ReLU, as Lucid does: see tfart.dream.diversity_layer.
            objective = objective + FLAGS.diversity * objectives.diversity(dream.diversity_layer(layer))
        backbone = cli.backbone(objective.layers, "--objective")
        _spatial_units(objective, backbone)
        objectives.check(objective, backbone)
        batch = FLAGS.batch
    _draw(objective, backbone, batch, defaults, outputs)


def _spatial_units(objective, backbone):
    """Channel, neuron and DeepDream terms need spatial layers; logits take class terms."""
    from tfart import objectives
    _spatial(backbone, [layer for layer in objective.layers if layer != objectives.LOGITS], "--objective")


def _draw(objective, backbone, batch, defaults, outputs, generator=None, size=None):
    """Draw `objective` from scratch with the --parameterization (or --generator) and write it."""
    from tfart import dream, export, jobs, transforms
    size = size or FLAGS.size or defaults.size
    backbone.check_size(*(size if isinstance(size, tuple) else (size, size)))
    height, width = size if isinstance(size, tuple) else (size, size)
    if generator is not None:
        generator, lr = generator
        train = "both" if generator.latent_dim else "weights"
    elif FLAGS.generator:
        generator, lr, train = export.load_trained(FLAGS.generator, batch, FLAGS.seed), dream.LATENT_LR, "latent"
    else:
        generator, lr = dream.visualization_generator(FLAGS.parameterization, height, FLAGS.seed, batch,
                                                      FLAGS.latent_dim, width)
        train = "both" if generator.latent_dim else "weights"
    outputs.check(generator, height, width)
    outputs.about = {"objective": objective.text(), "backbone": backbone.name, "seed": FLAGS.seed}
    cli.grey_for(backbone, outputs)
    settings = cli.settings(FLAGS.train or train, defaults.steps, lr)
    transform = None if FLAGS.transforms == "none" else transforms.standard(max(height, width))  # unset: standard
    result = jobs.run(generator, objective, backbone, height=height, width=width, settings=settings,
                      outputs=outputs, transform=transform)
    cli.finish(result)
    return generator


def _interpolate(defaults, outputs):
    from tfart import dream, imaging, interpolation, objectives, rendering
    from tfart.errors import UsageError
    if not FLAGS.to:
        raise UsageError("--to: interpolate mode needs the objective the frames morph into")
    _refuse(["generator", "export", "upscale", "batch", "diversity"], "interpolate mode draws --frames pictures "
            "with the --parameterization and writes them as a sheet and a GIF")
    if FLAGS.parameterization in ("hashgrid", "strokes"):
        raise UsageError(f"--parameterization {FLAGS.parameterization}: draws one picture at a time; "
                         "use pixel, fft, cppn or fourier_cppn")
    start = objectives.parse(FLAGS.objective or defaults.channel, "--objective")
    end = objectives.parse(FLAGS.to, "--to")
    objective = objectives.interpolation(start, end, FLAGS.frames)
    first = next((layer for layer in objective.layers if layer != objectives.LOGITS), None)
    aligned = FLAGS.alignment and FLAGS.parameterization in ("pixel", "fft") and first
    if aligned:  # compared after the ReLU, as the diversity penalty is
        objective = objective + FLAGS.alignment * objectives.alignment(dream.diversity_layer(first))
    backbone = cli.backbone(objective.layers, "--objective/--to")
    _spatial_units(objective, backbone)
    objectives.check(objective, backbone, "--objective/--to")
    size = FLAGS.size or defaults.size
    # --out x.png or x.gif: the frames' sheet x.png and their GIF x.gif (not a time-lapse).
    sheet, animation = outputs.png, outputs.png[:-len(".png")] + ".gif"
    if FLAGS.out.lower().endswith(cli.ANIMATIONS):
        animation, outputs.timelapse = outputs.timelapse, FLAGS.timelapse
    if outputs.timelapse and os.path.abspath(outputs.timelapse) == os.path.abspath(animation):
        raise UsageError(f"--timelapse: {FLAGS.timelapse!r} is where the frames' GIF goes; name another file")
    imaging.check_animation_path(animation, "--out")
    backbone.check_size(size, size)
    made = interpolation.generator(FLAGS.parameterization, size, FLAGS.frames, FLAGS.seed, FLAGS.latent_dim)
    outputs.png = None  # the frames are written below, as rows of up to 8 that read as a morph
    generator = _draw(objective, backbone, FLAGS.frames, defaults, outputs, generator=made, size=size)
    frames = rendering.render(generator, size, size)
    frames = [imaging.luminance(f) if outputs.grey else f for f in frames]
    labels = [f"t={i / (FLAGS.frames - 1):.2f}" for i in range(FLAGS.frames)]
    imaging.save_png(sheet, imaging.contact_sheet(frames, columns=min(FLAGS.frames, 8), labels=labels) / 255.0)
    loop = frames + frames[-2:0:-1]  # there and back
    imaging.save_animation(animation, [imaging.to_uint(f) for f in loop], fps=8, flag="--out")
    print(f"wrote {sheet}\nwrote {animation}  (frame-to-frame change {interpolation.frame_change(frames):.4f}"
          f"{', alignment ' + format(FLAGS.alignment, 'g') if aligned else ''})")


def _photo_canvas(defaults):
    """The photograph of --image at --size (longer side; default the backbone's drawing size, at least 160)."""
    from tfart import imaging
    from tfart.errors import UsageError
    if not FLAGS.image:
        raise UsageError(f"--image: {FLAGS.mode} mode needs a photograph (a path or skimage:NAME)")
    return imaging.load_image(FLAGS.image, FLAGS.size or max(defaults.size, 160), "--image")


def _groups(defaults, outputs):
    import numpy as np

    from tfart import groups, imaging, objectives, rendering
    _refuse(["generator", "export", "upscale", "batch", "diversity"], "groups mode writes one figure")
    photo = _photo_canvas(defaults)
    layer = FLAGS.layer or defaults.channel.split(":")[0]
    backbone = cli.backbone([layer], "--layer")
    _spatial(backbone, [layer], "--layer")
    backbone.check_size(*photo.shape[1:3])
    found = groups.neuron_groups(backbone(photo)[layer][0].numpy(), FLAGS.groups, FLAGS.seed)
    objective = sum(objectives.direction(layer, d, batch=i, name=f"group{i}@{layer}")
                    for i, d in enumerate(found.directions))
    objective = objectives.Objective(objective, f"groups:{layer}", objective.layers)
    figure, outputs.png = outputs.png, None
    size = min(FLAGS.size or defaults.size, 160)
    generator = _draw(objective, backbone, FLAGS.groups, defaults, outputs, size=size)
    drawings = rendering.render(generator, size, size)
    if outputs.grey:
        drawings = imaging.luminance(drawings)
    sheet = groups.figure(photo[0], found, drawings, f"{os.path.basename(FLAGS.image)} at {layer} of {backbone.name}")
    print(f"wrote {imaging.save_png(figure, sheet.astype(np.float32) / 255.0)}  ({FLAGS.groups} groups, "
          f"relative reconstruction error {found.error:.3f})")


def _caricature(defaults, outputs):
    from tfart import dream, objectives, rendering
    _refuse(["generator", "batch", "diversity"], "caricature mode draws one picture of the photograph")
    photo = _photo_canvas(defaults)
    layer = FLAGS.layer or defaults.channel.split(":")[0]
    backbone = cli.backbone([layer], "--layer")
    _spatial(backbone, [layer], "--layer")
    backbone.check_size(*photo.shape[1:3])
    objective = objectives.caricature(backbone, photo, layer, FLAGS.power)
    height, width = photo.shape[1:3]
    made = dream.visualization_generator(FLAGS.parameterization, height, FLAGS.seed, width=width)
    before = objectives.cosine_similarity(backbone, rendering.render(made[0], height, width), photo, layer)
    _draw(objective, backbone, 1, defaults, outputs, generator=made, size=(height, width))
    after = objectives.cosine_similarity(backbone, rendering.render(made[0], height, width), photo, layer)
    print(f"cosine similarity to the photograph at {layer}: {before:.3f} at the start, {after:.3f} now")


def run():
    cli.run(main)


if __name__ == "__main__":
    run()

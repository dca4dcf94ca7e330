"""DeepDream, feature visualization and channel atlases on any parameterization.

    tfart-dream --mode dream --image skimage:chelsea --weights hed --out out/dream.png
    tfart-dream --mode visualize --objective block4_conv3:12 --weights hed --out out/channel.png
    tfart-dream --mode visualize --objective "0.5*block4_conv3:12 - block4_conv3:7" --batch 4 \\
        --diversity 100 --weights hed --out out/diverse.gif
    tfart-dream --mode visualize --parameterization cppn --weights hed --upscale 4 --export out/channel_model
    tfart-dream --mode atlas --layer block4_conv3 --channels 16 --weights hed --out out/atlas.png

dream: excite --layers of a photograph, octave by octave (--octaves, --octave_scale), in tiles of
--tile pixels, so a large photograph runs in bounded memory; --steps and --lr are per octave.
visualize: draw from scratch what excites --objective: LAYER:CHANNEL, neuron:LAYER:CHANNEL,
dream:LAYER, class:INDEX or probability:INDEX (backbones with their classification top), each
with a W* weight, joined by + and -. --batch N draws N at once, --diversity W makes them differ.
atlas: one visualization for each of the first --channels K channels of --layer (or of the
channels listed), drawn in one batched run and written as a labelled contact sheet.

The backbone is InceptionV3 (the DeepDream network) unless --backbone or --weights hed (the
trained VGG16 that works offline) says otherwise; each has its own defaults (tfart.dream.DEFAULTS).
--out x.png writes x.png; x.gif writes that time-lapse and x.png beside it; a folder gets MODE.png.
(scripts/dream.py is the same command.)
"""
from absl import flags

from tfart import cli

FLAGS = flags.FLAGS
DEFAULTS = "the backbone's, see tfart.dream.DEFAULTS"
flags.DEFINE_enum("mode", "visualize", ["dream", "visualize", "atlas"], "What to make (see above).")
flags.DEFINE_string("image", None, "dream: the photograph (a path or skimage:NAME).")
flags.DEFINE_list("layers", None, f"dream: the layers to excite (default: {DEFAULTS}).")
flags.DEFINE_list("layer_weights", None, "dream: a weight per layer (equal by default).")
flags.DEFINE_integer("octaves", None, f"dream: scales, each octave_scale smaller (default: {DEFAULTS}).")
flags.DEFINE_float("octave_scale", None, f"dream: size ratio between octaves (default: {DEFAULTS}).")
flags.DEFINE_integer("tile", 512, "dream: the backbone sees tiles of at most this side.")
flags.DEFINE_string("objective", None, f"visualize: what to excite (default: {DEFAULTS}).")
flags.DEFINE_enum("parameterization", "fft", ["pixel", "fft", "cppn", "fourier_cppn"],
                  "visualize, atlas: what is optimized.")
flags.DEFINE_string("generator", None, "visualize, atlas: search the latent space of a trained generator "
                    "(a .keras file, e.g. OUT/decoder.keras of tfart-train-latent) instead of a new --parameterization.")
flags.DEFINE_enum("train", None, ["weights", "latent", "both"], "Which variables move (default: latent with "
                  "--generator, so its trained weights stay frozen; otherwise both for a CPPN batch, else weights).")
flags.DEFINE_integer("batch", 1, "visualize: images drawn at once (a CPPN batch differs in its latent codes).")
flags.DEFINE_float("diversity", 0.0, "visualize: weight of the diversity penalty between the batch's images.")
flags.DEFINE_string("layer", None, f"atlas: the layer (default: that of {DEFAULTS} objective).")
flags.DEFINE_list("channels", ["16"], "atlas: K for the first K channels, or a list of channels.")
flags.DEFINE_integer("size", None, "visualize, atlas: canvas side; dream: longer side of the photograph "
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
flags.register_validator("layer_weights", lambda v: v is None or all(cli.is_weight(w) for w in v),
                         message="must be non-negative numbers, one per layer")
flags.register_validator("channels", lambda v: bool(v) and all(c.strip().isdigit() for c in v)
                         and (len(v) > 1 or int(v[0]) >= 1),
                         message="give K >= 1 (the first K channels) or a list of channel numbers")


def main(argv):
    from tfart import dream, export, imaging, jobs, objectives, transforms
    from tfart.errors import UsageError

    cli.use_seed()
    defaults = dream.DEFAULTS[cli.backbone_name()]
    outputs = cli.outputs(FLAGS.mode)
    outputs.check()

    if FLAGS.mode == "dream":
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
        photo = imaging.load_image(FLAGS.image, FLAGS.size, "--image")
        octaves, scale = FLAGS.octaves or defaults.octaves, FLAGS.octave_scale or defaults.octave_scale
        dream.octave_sizes(*photo.shape[1:3], octaves, scale, backbone.min_size)
        settings = cli.settings("weights", defaults.dream_steps, defaults.dream_lr)
        result = dream.deepdream(photo, objective, backbone, settings, outputs, octaves, scale, FLAGS.tile)
        return cli.finish(result)

    size = FLAGS.size or defaults.size
    if FLAGS.mode == "atlas":
        layer = FLAGS.layer or defaults.channel.split(":")[0]
        backbone = cli.backbone([layer], "--layer")
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
        objectives.check(objective, backbone)
        batch = FLAGS.batch
    backbone.check_size(size, size)
    if FLAGS.generator:
        generator, lr, train = export.load_trained(FLAGS.generator, batch, FLAGS.seed), dream.LATENT_LR, "latent"
    else:
        generator, lr = dream.visualization_generator(FLAGS.parameterization, size, FLAGS.seed, batch,
                                                      FLAGS.latent_dim)
        train = "both" if generator.latent_dim else "weights"
    outputs.check(generator, size, size)
    outputs.about = {"objective": objective.text(), "backbone": backbone.name, "seed": FLAGS.seed}
    settings = cli.settings(FLAGS.train or train, defaults.steps, lr)
    transform = None if FLAGS.transforms == "none" else transforms.standard(size)  # unset: standard
    result = jobs.run(generator, objective, backbone, height=size, width=size, settings=settings,
                      outputs=outputs, transform=transform)
    cli.finish(result)


def run():
    cli.run(main)


if __name__ == "__main__":
    run()

"""Neural style transfer (Gatys et al.) on any image parameterization: pixels, FFT, CPPN, Fourier-CPPN,
multi-resolution hash grid.

    tfart-style --content skimage:chelsea --style skimage:coffee --weights hed --out out/cat.png
    tfart-style --content skimage:chelsea --style skimage:coffee,skimage:astronaut --style_blend 0.7,0.3 \\
        --weights hed --parameterization cppn --train both --out out/cat.gif --export out/cat_model
    tfart-style --content noise:8 --content_weight 0 --style skimage:coffee --weights hed
    tfart-style --content noise:8 --content_weight 0 --style skimage:coffee --weights hed \\
        --parameterization hashgrid --coarse 0.5 --export out/coffee_model
    tfart-style --parameterization nca --content_weight 0 --style skimage:coffee --weights hed --size 64 \\
        --out out/texture.gif --export out/texture_model

Each parameterization has its own defaults (tfart.style_transfer.RECIPES): flags left unset take
them. --weights hed gives trained VGG16 features offline (pip install -e ".[hed]"). The loss is
back-propagated into the generator's weights (--train weights), its latent code (--train latent)
or both. A CPPN, Fourier-CPPN or hash-grid result renders again at any size (--upscale,
or --export and tfart-render); such a generator can also optimize coarse to fine (--coarse).
An nca (a neural cellular automaton) learns a rule that grows the style as a texture on a grid of
any size; --out x.gif writes it growing from its seed (--damage: and regrowing), and x.png its
last frame; tfart-render runs its --export on a bigger grid.
--out x.png writes x.png; --out x.gif writes that time-lapse (an nca: see above) and
x.png beside it; --out FOLDER writes FOLDER/style.png. Checkpoints go to OUT_ckpt/; --resume
continues. (scripts/style_transfer.py is the same command.)
"""
from absl import flags

from tfart import cli
from tfart.style_transfer import CONTENT_LAYERS, STYLE_LAYERS

FLAGS = flags.FLAGS
flags.DEFINE_string("content", None, "Content image path, skimage:NAME, or noise:G (grain-G noise).")
flags.DEFINE_list("style", None, "One or more style images (comma-separated paths or skimage:NAME).")
flags.DEFINE_list("style_blend", None, "Weights of the style images (equal by default).")
RECIPE = "the parameterization's, see tfart.style_transfer.RECIPES"
flags.DEFINE_list("content_layers", None, f"Backbone layers of the content loss (default: {','.join(CONTENT_LAYERS)} "
                  "for VGG, else the backbone's: --list_layers).")
flags.DEFINE_list("style_layers", None, f"Backbone layers of the style loss (default: {','.join(STYLE_LAYERS)} "
                  "for VGG, else the backbone's: --list_layers).")
flags.DEFINE_float("content_weight", None, f"Weight of the content loss (default: {RECIPE}).")
flags.DEFINE_float("style_weight", None, "Weight of the style loss, Gram matrices normalised by c*h*w "
                   f"(default: {RECIPE}).")
flags.DEFINE_float("tv_weight", None, f"Weight of the total-variation loss, smoothness (default: {RECIPE}).")
flags.DEFINE_enum("parameterization", "pixel", ["pixel", "fft", "cppn", "fourier_cppn", "hashgrid", "nca"],
                  "What is optimized: pixels, an FFT spectrum, a CPPN, a Fourier-CPPN, a hash grid, or a neural "
                  "cellular automaton that grows the style as a texture (nca: style only).")
flags.DEFINE_bool("damage", False, "nca: the --out GIF runs twice as long and erases a disc in its middle, "
                  "to show the texture regrow.")
flags.DEFINE_enum("train", "weights", ["weights", "latent", "both"],
                  "Which variables: the generator's weights, its latent code, or both.")
flags.DEFINE_enum("init", "content", ["content", "noise"],
                  "Start from the content image (fitted first, for CPPNs), or from noise "
                  "(uniform noise for pixel/fft, the generator's own random picture for CPPNs).")
flags.DEFINE_integer("fit_steps", None, f"Steps that fit a CPPN to the content image when --init content "
                     f"(default: {RECIPE}).")
flags.DEFINE_float("fit_lr", None, f"Learning rate of that fit (default: {RECIPE}).")
flags.DEFINE_bool("preserve_colour", False, "Keep the content's colours: only luminance is transferred.")
flags.DEFINE_integer("size", 256, "Longer side of the optimized image in pixels (an nca's training grid: "
                     "128 unless given).")
flags.DEFINE_integer("latent_dim", 8, "Latent size of a CPPN parameterization.")
flags.DEFINE_integer("grid", 10, "Frequency grid (G x G) of the Fourier-CPPN parameterization.")
flags.DEFINE_integer("levels", None, "Grid levels of the hashgrid parameterization (default: 16).")
flags.DEFINE_integer("log2_table", None, "Each hashgrid level holds at most 2^N feature vectors (default: 14).")
flags.DEFINE_integer("finest", None, "Cells across the shorter side at the finest hashgrid level (default: one per pixel).")
flags.DEFINE_float("coarse", 0.0, "Coarse to fine: first optimize a resolution-free parameterization at this "
                   "fraction of --size for --coarse_steps steps (0: off). Style only: --content_weight 0.")
flags.DEFINE_integer("coarse_steps", 100, "Steps of the --coarse stage.")
cli.define_optimization_flags(out="out/style.png", recipe=RECIPE)

flags.register_multi_flags_validator(["style", "list_layers"], lambda f: bool(f["style"]) or f["list_layers"],
                                     message="--style: needs one or more style images")
for _name in ("style_layers", "content_layers"):
    flags.register_validator(_name, lambda v: v is None or bool(v), message="needs at least one layer")
for _name in ("content_weight", "style_weight", "tv_weight"):
    cli.at_least(_name, 0.0)
flags.register_validator("style_blend", lambda v: v is None or all(cli.is_weight(b) for b in v),
                         message="must be non-negative numbers, one per style image")
cli.at_least("fit_steps", 0)
cli.greater_than("fit_lr", 0.0)
cli.positive("size", 4096)
cli.at_least("latent_dim", 0)
cli.positive("grid", 64)
cli.positive("levels", 64)
cli.positive("finest")
flags.register_validator("log2_table", lambda v: v is None or 4 <= v <= 24, message="must be from 4 to 24")
flags.register_validator("coarse", lambda v: v == 0 or 0 < v < 1, message="must be 0 (off) or between 0 and 1")
cli.positive("coarse_steps")
flags.register_multi_flags_validator(
    ["style", "style_blend"], lambda f: not f["style_blend"] or len(f["style_blend"]) == len(f["style"] or []),
    message="--style_blend: give one weight per style image")
flags.register_multi_flags_validator(
    ["content_weight", "parameterization"], lambda f: f["parameterization"] != "nca" or not f["content_weight"],
    message="--content_weight: an nca grows a texture from its seed and keeps no content (no content objective "
    "for an automaton is designed yet); use --content_weight 0")
flags.register_multi_flags_validator(
    ["damage", "parameterization"], lambda f: not f["damage"] or f["parameterization"] == "nca",
    message="--damage: erases part of a growing automaton; it needs --parameterization nca")
flags.register_multi_flags_validator(
    ["upscale", "parameterization"], lambda f: not f["upscale"] or f["parameterization"] not in ("pixel", "fft"),
    message="--upscale: pixel and fft are fixed-size images; use --parameterization cppn, fourier_cppn or hashgrid")


def size():
    """--size, where an nca left without one trains on the paper's 128 px grid (style_transfer.NCA_SIZE)."""
    from tfart.style_transfer import NCA_SIZE
    return NCA_SIZE if FLAGS.parameterization == "nca" and not FLAGS["size"].present else FLAGS.size


def load_content():
    """[1, H, W, 3] content in [0, 1] (a photograph, or grain-G noise for noise:G), and whether it is noise."""
    from tfart import imaging
    if FLAGS.content is None or FLAGS.content.startswith("noise:"):
        grain = cli.grain(FLAGS.content or "noise:1", "--content")
        return imaging.noise_image(size(), size(), grain, FLAGS.seed), True
    return imaging.load_image(FLAGS.content, size(), "--content"), False


def main(argv):
    import functools

    from tfart import imaging, jobs, optimize, style_transfer
    from tfart.errors import UsageError

    if FLAGS.list_layers:
        cli.list_layers()
        return
    cli.use_seed()
    recipe = style_transfer.RECIPES[FLAGS.parameterization].replace(
        steps=FLAGS.steps, lr=FLAGS.lr, style_weight=FLAGS.style_weight, content_weight=FLAGS.content_weight,
        tv_weight=FLAGS.tv_weight, fit_steps=FLAGS.fit_steps, fit_lr=FLAGS.fit_lr)
    automaton = FLAGS.parameterization == "nca"
    settings = cli.settings(FLAGS.train, recipe.steps, recipe.lr, recipe.subpixel, recipe.normalize_gradients)
    outputs = cli.outputs("style", animation=automaton)  # an nca's --out x.gif: the automaton growing
    outputs.damage = FLAGS.damage
    outputs.about = {"style": FLAGS.style, "content": FLAGS.content, "seed": FLAGS.seed}
    outputs.check()
    content, content_is_noise = load_content()
    if FLAGS.preserve_colour:
        if content_is_noise:
            raise UsageError("--preserve_colour: needs a content image, not noise")
        outputs.postprocess = functools.partial(imaging.preserve_colour, content=content[0])
    styles = [imaging.load_image(path, size(), "--style") for path in FLAGS.style]
    height, width = content.shape[1:3]
    hash_grid = {k: getattr(FLAGS, k) for k in ("levels", "log2_table", "finest") if getattr(FLAGS, k) is not None}
    generator = style_transfer.generator(FLAGS.parameterization, height, width, seed=FLAGS.seed,
                                         latent_dim=FLAGS.latent_dim, grid=FLAGS.grid, **hash_grid)
    outputs.check(generator, height, width)
    transform = cli.transform(height, width)
    optimize.check(generator, settings, transform)  # before the backbone, which may download weights

    style_layers, content_layers = FLAGS.style_layers, FLAGS.content_layers
    if style_layers is None or (content_layers is None and recipe.content_weight):
        chosen = style_transfer.default_layers(cli.backbone_name())
        style_layers, content_layers = style_layers or chosen[0], content_layers or chosen[1]
    backbone = cli.backbone(style_transfer.layers(style_layers, content_layers or (), recipe.content_weight))
    backbone.check_size(height, width)
    for layer in backbone.layers:
        if not backbone.spatial(layer):
            raise UsageError(f"--style_layers/--content_layers: {layer} of {backbone.name} has no spatial output "
                             "[height, width, channels]; choose convolutional layers (--list_layers)")
    cli.grey_for(backbone, outputs)
    blend = [float(b) for b in FLAGS.style_blend] if FLAGS.style_blend else None
    objective = style_transfer.objective(backbone, content, styles, recipe, style_layers, content_layers, blend)
    start = content if FLAGS.init == "content" else imaging.noise_image(height, width, 1, FLAGS.seed)
    init = jobs.Init(start, fit_steps=recipe.fit_steps if FLAGS.init == "content" else 0, fit_lr=recipe.fit_lr)
    if automaton:
        init = None  # it grows from its seed
    result = jobs.run(generator, objective, backbone, height=height, width=width, settings=settings,
                      outputs=outputs, transform=transform, init=init,
                      coarse=jobs.Coarse(FLAGS.coarse, FLAGS.coarse_steps) if FLAGS.coarse else None)
    cli.finish(result)


def run():
    cli.run(main)


if __name__ == "__main__":
    run()

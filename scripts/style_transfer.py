"""Neural style transfer (Gatys et al.) on any image parameterization: pixels, FFT, CPPN, Fourier-CPPN.

    python scripts/style_transfer.py --content photo.jpg --style painting.jpg
    python scripts/style_transfer.py --content photo.jpg --style a.jpg,b.jpg --style_blend 0.7,0.3 \\
        --parameterization cppn --timelapse out/cppn.gif --export out/cppn_model
    python scripts/style_transfer.py --content noise:8 --content_weight 0 --style skimage:coffee

The loss is back-propagated into the generator's weights (--train weights), its latent code
(--train latent) or both. A CPPN or Fourier-CPPN result renders again at any size
(--upscale, or --export and scripts/render.py). Checkpoints go to OUT_ckpt/; --resume continues.
"""
import math
import os
import sys

from absl import flags

from tfart import cli

FLAGS = flags.FLAGS
flags.DEFINE_string("content", None, "Content image path, skimage:NAME, or noise:G (grain-G noise).")
flags.DEFINE_list("style", None, "One or more style images (comma-separated paths or skimage:NAME).")
flags.DEFINE_list("style_blend", None, "Weights of the style images (equal by default).")
flags.DEFINE_list("content_layers", ["block4_conv2"], "Backbone layers of the content loss.")
flags.DEFINE_list("style_layers", ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
                                   "block5_conv1"], "Backbone layers of the style loss.")
flags.DEFINE_float("content_weight", 1.0, "Weight of the content loss.")
flags.DEFINE_float("style_weight", 1e6, "Weight of the style loss (Gram matrices normalised by c*h*w).")
flags.DEFINE_float("tv_weight", 0.0, "Weight of the total-variation loss (smoothness).")
flags.DEFINE_enum("parameterization", "pixel", ["pixel", "fft", "cppn", "fourier_cppn"],
                  "What is optimized: pixels, an FFT spectrum, a CPPN or a Fourier-CPPN.")
flags.DEFINE_enum("train", "weights", ["weights", "latent", "both"],
                  "Which variables: the generator's weights, its latent code, or both.")
flags.DEFINE_enum("init", "content", ["content", "noise"],
                  "Start from the content image (fitted first, for CPPNs), or from noise "
                  "(uniform noise for pixel/fft, the generator's own random picture for CPPNs).")
flags.DEFINE_integer("fit_steps", 200, "Steps that fit a CPPN to the content image when --init content.")
flags.DEFINE_bool("preserve_colour", False, "Keep the content's colours: only luminance is transferred.")
flags.DEFINE_integer("size", 256, "Longer side of the optimized image in pixels.")
flags.DEFINE_integer("steps", 300, "Optimization steps.")
flags.DEFINE_float("lr", 0.02, "Learning rate.")
flags.DEFINE_enum("optimizer", "adam", ["adam", "lbfgs"], "Adam, or L-BFGS (needs .[lbfgs]).")
flags.DEFINE_enum("schedule", "constant", ["constant", "cosine"], "Learning-rate schedule.")
flags.DEFINE_float("clip_norm", 0.0, "Clip the global gradient norm (0: off).")
flags.DEFINE_bool("normalize_gradients", False, "Divide each gradient by its norm.")
flags.DEFINE_enum("transforms", "none", ["none", "standard"], "Random transforms before the backbone.")
flags.DEFINE_string("backbone", "vgg19", "vgg16, vgg19 or inception_v3.")
flags.DEFINE_string("weights", "imagenet", "Backbone weights: imagenet, a local weights file, or none.")
flags.DEFINE_integer("latent_dim", 8, "Latent size of a CPPN parameterization.")
flags.DEFINE_integer("grid", 10, "Frequency grid (G x G) of the Fourier-CPPN parameterization.")
flags.DEFINE_string("out", "out/style.png", "Output PNG.")
flags.DEFINE_integer("upscale", 0, "Also render the result at this many times the size (CPPNs).")
flags.DEFINE_string("timelapse", None, "Write a time-lapse of the optimization (.gif or .mp4).")
flags.DEFINE_integer("timelapse_every", 10, "Steps between time-lapse frames.")
flags.DEFINE_string("logdir", None, "TensorBoard log folder.")
flags.DEFINE_string("export", None, "Export the trained generator as a SavedModel here.")
flags.DEFINE_integer("checkpoint_every", 50, "Steps between checkpoints in OUT_ckpt/ (0: none).")
flags.DEFINE_bool("resume", False, "Continue from the last checkpoint in OUT_ckpt/.")
flags.DEFINE_bool("jit_compile", False, "XLA-compile the step (faster on GPUs, slower on CPUs).")
flags.DEFINE_integer("seed", 0, "Random seed.")
flags.mark_flag_as_required("style")

for _name in ("content_weight", "style_weight", "tv_weight"):
    flags.register_validator(_name, lambda v: math.isfinite(v) and v >= 0,
                             message=f"--{_name} must be a finite number >= 0")
flags.register_validator("lr", lambda v: math.isfinite(v) and v > 0, message="--lr must be a positive number")
flags.register_validator("clip_norm", lambda v: math.isfinite(v) and v >= 0,
                         message="--clip_norm must be a finite number >= 0")
flags.register_validator("style_blend", lambda v: v is None or all(_is_weight(b) for b in v),
                         message="--style_blend must be non-negative numbers, one per style image")
for _name in ("style_layers", "content_layers"):
    flags.register_validator(_name, lambda v: bool(v), message=f"--{_name} needs at least one layer")
cli.at_least("steps", 0)
cli.at_least("fit_steps", 0)
cli.positive("size", 4096)
cli.at_least("upscale", 0)
cli.positive("timelapse_every")
cli.at_least("checkpoint_every", 0)
cli.at_least("latent_dim", 0)
cli.positive("grid", 64)


def _is_weight(text):
    try:
        return math.isfinite(float(text)) and float(text) >= 0
    except ValueError:
        return False


def load_content():
    """([1, H, W, 3] content in [0, 1], is_noise)."""
    from tfart import imaging
    from tfart.errors import UserError
    if FLAGS.content is None:
        return imaging.noise_image(FLAGS.size, FLAGS.size, 1, FLAGS.seed), True
    if FLAGS.content.startswith("noise:"):
        try:
            grain = int(FLAGS.content.split(":", 1)[1])
        except ValueError:
            raise UserError(f"--content: expected noise:G with a whole grain G, got {FLAGS.content!r}") from None
        if grain < 1:
            raise UserError(f"--content: noise grain must be at least 1, got {grain}")
        return imaging.noise_image(FLAGS.size, FLAGS.size, grain, FLAGS.seed), True
    return imaging.load_image(FLAGS.content, FLAGS.size, "--content"), False


def build_objective(backbone, content_image, styles):
    from tfart import objectives
    blend = [float(b) for b in FLAGS.style_blend] if FLAGS.style_blend else None
    objective = FLAGS.style_weight * objectives.style(backbone, styles, FLAGS.style_layers, blend)
    if FLAGS.content_weight:
        objective = objective + FLAGS.content_weight * objectives.content(
            backbone, content_image, FLAGS.content_layers)
    if FLAGS.tv_weight:
        objective = objective + FLAGS.tv_weight * objectives.total_variation()
    return objective


def initialise(generator, content_image, height, width):
    """--init content: pixels take the image; CPPNs are first fitted to it by the same loop.
    --init noise: pixels take uniform noise; a CPPN keeps its own random picture."""
    from tfart import imaging, objectives, optimize
    if FLAGS.init != "content":
        if hasattr(generator, "assign_image"):
            generator.assign_image(imaging.noise_image(height, width, 1, FLAGS.seed))
        return "done"
    if hasattr(generator, "assign_image"):
        generator.assign_image(content_image)
    elif FLAGS.fit_steps:
        print(f"fitting the {FLAGS.parameterization} to the content image ({FLAGS.fit_steps} steps)")
        part = "both" if generator.latent_dim else "weights"
        return optimize.optimize(generator, objectives.reconstruction(content_image), None, height, width,
                                 optimize.Settings(steps=FLAGS.fit_steps, lr=0.01, train=part)).stopped
    return "done"


def main(argv):
    del argv
    import keras
    import numpy as np
    import tensorflow as tf

    from tfart import backbones, export, generators, imaging, monitors, optimize, render, transforms
    from tfart.errors import UserError

    keras.utils.set_random_seed(FLAGS.seed)
    settings = optimize.Settings(steps=FLAGS.steps, lr=FLAGS.lr, optimizer=FLAGS.optimizer,
                                 schedule=FLAGS.schedule, train=FLAGS.train, clip_norm=FLAGS.clip_norm,
                                 normalize_gradients=FLAGS.normalize_gradients,
                                 jit_compile=FLAGS.jit_compile)
    settings.check()
    # Every output is checked before any work, so a bad path never costs a run.
    if not FLAGS.out.lower().endswith(".png"):
        raise UserError(f"--out: expected a .png file, got {FLAGS.out!r}")
    imaging.check_writable(FLAGS.out, "--out")
    if FLAGS.timelapse:
        imaging.check_animation_path(FLAGS.timelapse, "--timelapse")
    if FLAGS.export:
        imaging.check_writable(FLAGS.export, "--export", kind="folder")
    if FLAGS.logdir:
        imaging.check_writable(os.path.join(FLAGS.logdir, "events"), "--logdir")
    if FLAGS.upscale and FLAGS.parameterization in ("pixel", "fft"):
        raise UserError(f"--upscale: the {FLAGS.parameterization} parameterization is a fixed-size "
                        "image; use --parameterization cppn or fourier_cppn")

    content_image, content_is_noise = load_content()
    if FLAGS.preserve_colour and content_is_noise:
        raise UserError("--preserve_colour: needs a content image, not noise")
    if FLAGS.upscale:
        render.check_size(content_image.shape[1] * FLAGS.upscale, content_image.shape[2] * FLAGS.upscale,
                          flag="--upscale")
    styles = [imaging.load_image(path, FLAGS.size, "--style") for path in FLAGS.style]
    height, width = content_image.shape[1:3]
    layers = list(FLAGS.style_layers) + (list(FLAGS.content_layers) if FLAGS.content_weight else [])
    backbone = backbones.Backbone(FLAGS.backbone, layers, FLAGS.weights)
    backbone.check_size(height, width)
    objective = build_objective(backbone, content_image, styles)

    extra = {}
    if FLAGS.parameterization == "fourier_cppn":
        extra = {"reference_size": min(height, width), "grid": FLAGS.grid}
    generator = generators.make(FLAGS.parameterization, height, width, seed=FLAGS.seed,
                                latent_dim=FLAGS.latent_dim, **extra)
    optimizer = optimize.make_optimizer(settings)
    variables = generator.variables_to_train(FLAGS.train)
    ckpt_dir = os.path.splitext(FLAGS.out)[0] + "_ckpt"
    watchers = [monitors.ProgressBar()]
    start = 0
    if FLAGS.checkpoint_every or FLAGS.resume:
        optimizer.build(variables)
        checkpointer = monitors.Checkpointer(ckpt_dir, generator, optimizer, FLAGS.checkpoint_every or 10 ** 9)
        if FLAGS.resume:
            try:
                start = checkpointer.restore()
            except (ValueError, AssertionError, tf.errors.OpError) as e:
                raise UserError(f"--resume: the checkpoint in {ckpt_dir!r} does not fit these flags "
                                f"(size, parameterization, --train): {str(e).splitlines()[0][:120]}") from None
            if start == 0:
                raise UserError(f"--resume: no checkpoint in {ckpt_dir!r}")
            print(f"resuming at step {start}")
        watchers.append(checkpointer)
    fitted = initialise(generator, content_image, height, width) if not start else "done"
    if FLAGS.logdir:
        watchers.append(monitors.TensorBoard(FLAGS.logdir))
    if FLAGS.timelapse:
        watchers.append(monitors.Timelapse(FLAGS.timelapse, FLAGS.timelapse_every))

    def finish():
        image = render.render(generator, height, width)[0]
        if FLAGS.preserve_colour:
            image = preserve_colour(image, content_image[0])
        return imaging.save_png(FLAGS.out, image)

    if fitted == "interrupted":
        print(f"error: interrupted while fitting the content; the current image is in {finish()}",
              file=sys.stderr)
        sys.exit(130)
    transform = transforms.standard(max(height, width)) if FLAGS.transforms == "standard" else None
    result = optimize.optimize(generator, objective, backbone, height, width, settings, transform,
                               watchers, start_step=start, optimizer=optimizer)
    out = finish()
    print(f"wrote {out}  (step {result.step}, loss {result.loss:.6g})")
    if result.stopped == "non-finite":
        what = f"the loss became {result.loss}" if not math.isfinite(result.loss) else "the gradients became non-finite"
        raise UserError(f"{what} at step {result.step + 1}; kept the last good image in {out} "
                        "(try a smaller --lr or --clip_norm)")
    if result.stopped == "interrupted":
        print(f"error: interrupted at step {result.step}; the current image is in {out}", file=sys.stderr)
        sys.exit(130)
    if FLAGS.upscale:
        big = render.render(generator, height * FLAGS.upscale, width * FLAGS.upscale, bits=8)[0]
        if FLAGS.preserve_colour:
            big = imaging.to_uint(preserve_colour(big / 255.0, np.asarray(tf.image.resize(
                content_image, big.shape[:2], "bicubic"))[0]))
        stem, ext = os.path.splitext(FLAGS.out)
        print(f"wrote {imaging.save_png(f'{stem}_x{FLAGS.upscale}{ext}', big)}")
    if FLAGS.timelapse:
        print(f"wrote {FLAGS.timelapse}")
    if FLAGS.export:
        print(f"wrote {export.export(generator, FLAGS.export, style=FLAGS.style, seed=FLAGS.seed)}")


def preserve_colour(image, content):
    """Luminance of the result with the chrominance of the content (Gatys et al. 2016): [H, W, 3]."""
    import numpy as np
    import tensorflow as tf
    yiq = tf.image.rgb_to_yiq(np.asarray(image, np.float32))
    content_yiq = tf.image.rgb_to_yiq(np.asarray(content, np.float32))
    mixed = tf.concat([yiq[..., :1], content_yiq[..., 1:]], axis=-1)
    return np.clip(tf.image.yiq_to_rgb(mixed).numpy(), 0, 1)


if __name__ == "__main__":
    cli.run(main)

"""Render a saved generator at any size, or an animation along a path through its latent space.

    tfart-render --model saved_models/cppn_meadow --width 8192 --height 8192 --out out/big.png
    tfart-render --recipe out/cppn_art/cppn_seed0.json --width 3840 --height 2160
    tfart-render --model saved_models/cppn_kaleidoscope --frames 60 --out out/loop.gif
    tfart-render --model out/latent/decoder --samples 16 --width 96 --height 96 --out out/samples.png
    tfart-render --model out/latent/decoder --walk one.png,seven.png --out out/walk.gif
    tfart-render --model out/texture_model --width 1024 --height 1024 --frames 96 --out out/big.gif

--model takes a SavedModel folder (from --export; needs only TensorFlow) or a .keras file.
A recipe (.json written by tfart-art) names its .keras model and latent code.
--out x.png writes that picture; --out x.gif or x.mp4 writes an animation (48 frames unless
--frames); --out FOLDER writes FOLDER/render.png (render.gif with --frames). Random codes come from
the model's prior (uniform in [-1, 1] for art CPPNs, N(0, I) for a VAE's decoder, or the mixture
that tfart-train-latent --mixture fitted to its training codes). --samples N
draws N of them into one contact sheet; --walk encodes images with the encoder that
tfart-train-latent --export saves beside its decoder and loops through their codes. A cellular
automaton (tfart-style --parameterization nca --export) grows on a grid of any size: a still is
its state after --steps steps from its seed, an animation shows it growing (--damage: and regrowing).
(scripts/render.py is the same command.)
"""
import json
import os

from absl import flags

from tfart import cli

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "SavedModel folder or .keras file of a tfart generator.")
flags.DEFINE_string("recipe", None, "A .json recipe written by cppn_art.py (instead of --model).")
cli.define_picture_flags(1024, "Seed of the random keyframes.",
                         "Random latent keyframes of the loop (the model's own z first).")
flags.DEFINE_string("out", "out/render.png", "A .png file, a .gif/.mp4 animation, or a folder.")
flags.DEFINE_integer("tile", None, "Tile size in pixels (the model's default if unset); "
                     "memory grows with its square.")

flags.DEFINE_integer("samples", 0, "Draw this many random codes from the model's prior into one contact sheet.")
flags.DEFINE_list("walk", None, "Image files to encode (a VAE decoder from tfart-train-latent --export) "
                  "and walk between, in a loop.")

flags.DEFINE_integer("steps", None, "A cellular automaton's (nca) steps from its seed to the last frame "
                     "(default: the model's render_steps).")
flags.DEFINE_bool("damage", False, "A cellular automaton's animation runs twice as long and a disc in its middle "
                  "is erased halfway, to show it regrow.")

cli.positive("tile", 8192)
cli.positive("steps", 100000)
cli.at_least("samples", 0)
flags.register_validator("walk", lambda v: v is None or bool(v), message="needs two or more image files")
flags.register_validator("model", lambda v: v is None or v.strip() != "", "must not be empty")
flags.register_multi_flags_validator(["model", "recipe"], lambda f: bool(f["model"]) != bool(f["recipe"]),
                                     message="give exactly one of --model (a SavedModel folder or .keras "
                                     "file) and --recipe (a .json written by tfart-art)")


def read_recipe():
    """(model path, z or None, keyframes or None); a recipe's size-free settings become defaults."""
    from tfart.errors import UserError
    if FLAGS.model:
        return FLAGS.model, None, None
    try:
        with open(FLAGS.recipe) as f:
            recipe = json.load(f)
        model = os.path.join(os.path.dirname(FLAGS.recipe), recipe["model"])
        z = [recipe["z"]] if "z" in recipe else None
        keyframes = recipe.get("keyframes")
        if z is None and keyframes is None:
            raise KeyError("z")
        # As the recipe made it, unless a flag says otherwise; checked as the flags are.
        for name in ("bits", "supersample", "frames", "fps"):
            if not FLAGS[name].present and name in recipe:
                FLAGS[name].value = int(recipe[name])
                for validator in FLAGS[name].validators:
                    if not validator.checker(FLAGS[name].value):
                        raise UserError(f"--recipe: {FLAGS.recipe!r} has {name} {recipe[name]!r}, which "
                                        f"--{name} refuses: {validator.message}")
        if not os.path.exists(model):
            raise UserError(f"--recipe: the model {recipe['model']!r} it names is not beside it "
                            f"({os.path.dirname(FLAGS.recipe) or '.'})")
    except OSError as e:
        raise UserError(f"--recipe: cannot read {FLAGS.recipe!r} ({e.strerror})") from None
    except (ValueError, KeyError, TypeError):
        raise UserError(f"--recipe: {FLAGS.recipe!r} is not a cppn_art recipe") from None
    return model, z, keyframes


def render_each(generator, codes, unit):
    """One 8-bit --width x --height picture per latent code, with a progress line."""
    from tfart import rendering
    from tfart.progress import Progress
    bar = Progress(len(codes), unit)
    pictures = []
    for i in range(len(codes)):
        pictures.append(rendering.render(generator, FLAGS.height, FLAGS.width, z=codes[i:i + 1], tile=FLAGS.tile,
                                         supersample=FLAGS.supersample, bits=8)[0])
        bar.update(i + 1)
    bar.close()
    return pictures


def encode_walk(generator):
    """The codes of the --walk images: [K, L], from the encoder exported beside a VAE's decoder."""
    import numpy as np

    from tfart import vae
    from tfart.errors import UsageError, UserError
    shape = getattr(generator, "encoder_input", None)
    if not shape:
        raise UsageError(f"--walk: {FLAGS.model or FLAGS.recipe!r} has no encoder; a VAE decoder exported by "
                         "tfart-train-latent --export has one")
    if len(FLAGS.walk) < 2:
        raise UsageError(f"--walk: give two or more images to walk between, got {len(FLAGS.walk)}")
    images = []
    for file in FLAGS.walk:
        try:
            images.append(vae.read_square(file, shape[0], shape[2]))
        except vae.UNREADABLE as e:
            raise UserError(f"--walk: cannot read {file!r} as an image ({getattr(e, 'strerror', None) or e})") from None
    return generator.encode(np.stack(images)).numpy()


def main(argv):
    import numpy as np

    from tfart import export, imaging, latent, rendering
    from tfart.errors import UsageError

    model, z, keyframes = read_recipe()
    out = cli.out_path(FLAGS.out, "render")
    frames = FLAGS.frames
    if out.suffix in cli.ANIMATIONS:
        if FLAGS["frames"].present and frames == 0:
            raise UsageError(f"--frames: --out {FLAGS.out!r} is an animation; give --frames 1 or more")
        frames = frames or 48
    elif out.suffix and frames:
        raise UsageError(f"--out: {FLAGS.out!r} is a still image; name a .gif or .mp4 for --frames")
    if FLAGS.walk:
        if FLAGS.samples:
            raise UsageError("--samples: draws a still contact sheet; it does not combine with --walk")
        if out.suffix and out.suffix not in cli.ANIMATIONS:
            raise UsageError(f"--out: {FLAGS.out!r} is a still image; a --walk is an animation (.gif or .mp4)")
        frames = frames or 48
    elif FLAGS.samples and frames:
        raise UsageError("--samples: draws a still contact sheet; it does not combine with --frames or an animation")
    path = out.path(out.suffix or (".gif" if frames else ".png"))
    rendering.check_size(FLAGS.height, FLAGS.width)
    rendering.check_size(FLAGS.height, FLAGS.width, flag="--frames", count=frames)
    if frames:
        imaging.check_animation_path(path, "--out")
    imaging.check_writable(path)
    generator = export.load_any(model, flag="--model" if FLAGS.model else "--recipe")
    animated = getattr(generator, "animated", False)
    if FLAGS.damage and not (animated and frames):
        raise UsageError("--damage: erases part of a cellular automaton's animation; give an nca export and an "
                         "animation (--out x.gif)")
    if FLAGS["steps"].present and not animated:
        raise UsageError("--steps: counts a cellular automaton's steps; this generator is not one")
    if animated and (FLAGS.samples or FLAGS.walk):
        raise UsageError(f"--{'samples' if FLAGS.samples else 'walk'}: a cellular automaton has no latent code")
    if animated:
        from tfart.generators import nca
        if FLAGS.supersample > 1 or FLAGS.tile:
            raise UsageError(f"--{'supersample' if FLAGS.supersample > 1 else 'tile'}: a cellular automaton runs on "
                             "its whole grid at once, one cell per pixel")
        if FLAGS.width * FLAGS.height > nca.MAX_CELLS:
            raise UsageError(f"--width/--height: {FLAGS.width}x{FLAGS.height} is too many cells for an automaton "
                             f"(at most {nca.MAX_CELLS // 10**6} million: each holds about 1 KB while it steps)")
        steps = FLAGS.steps or generator.render_steps
        if frames > (2 if FLAGS.damage else 1) * steps:
            raise UsageError(f"--frames: {frames} frames for {steps} automaton steps; give --steps {frames} or more")
        seed = FLAGS.seed if FLAGS["seed"].present else generator.seed  # as the model's own picture
        movie = nca.animate(generator, FLAGS.height, FLAGS.width, frames or 1, steps, seed=seed, damage=FLAGS.damage)
        written = imaging.save_animation(path, movie, fps=FLAGS.fps) if frames else \
            imaging.save_png(path, movie[-1], bits=FLAGS.bits)
        print(f"wrote {written}")
        return
    if (frames or FLAGS.samples) and not generator.latent_dim:
        raise UsageError(f"--{'samples' if FLAGS.samples else 'frames'}: this generator has no latent code")
    if FLAGS.samples:
        codes = latent.random_codes(FLAGS.samples, generator.latent_dim, FLAGS.seed, latent.prior_of(generator))
        pictures = render_each(generator, codes, "sample")
        print(f"wrote {imaging.save_png(path, imaging.contact_sheet(pictures) / 255.0, bits=8)}")
        return
    if not frames:
        big = FLAGS.width * FLAGS.height >= 2048 ** 2
        image = rendering.render(generator, FLAGS.height, FLAGS.width, z=z, tile=FLAGS.tile,
                              supersample=FLAGS.supersample, bits=FLAGS.bits, progress=big)[0]
        print(f"wrote {imaging.save_png(path, image, bits=FLAGS.bits)}")
        return
    if FLAGS.walk:
        keys = encode_walk(generator)
    elif keyframes is not None:
        keys = np.asarray(keyframes, np.float32)
    else:
        own = np.asarray(z if z is not None else generator.default_z(), np.float32)
        keys = np.concatenate([own, latent.random_codes(FLAGS.keyframes - 1, generator.latent_dim, FLAGS.seed,
                                                        latent.prior_of(generator))])
    movie = render_each(generator, latent.loop(keys, frames), "frame")
    print(f"wrote {imaging.save_animation(path, movie, fps=FLAGS.fps)}")


def run():
    cli.run(main)


if __name__ == "__main__":
    run()

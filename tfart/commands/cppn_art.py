"""Random CPPN and Fourier-CPPN artworks: variations, contact sheets, latent-space animations.

    python scripts/cppn_art.py                                   # one 768x768 artwork in out/cppn_art
    python scripts/cppn_art.py --variations 9 --seed 7           # nine latent variations + a contact sheet
    python scripts/cppn_art.py --frames 96 --fold 6 --grey       # a kaleidoscopic latent loop (GIF)
    python scripts/cppn_art.py --generator fourier_cppn --export out/fcppn   # keep it as a SavedModel

Every image is saved with a recipe (NAME.json) and the network (a .keras file it names), so
`scripts/render.py --recipe NAME.json --width 8192 --height 8192` makes it again at any size.
"""
import hashlib
import json
import os

from absl import flags

from tfart import cli

FLAGS = flags.FLAGS
flags.DEFINE_integer("seed", 0, "Random seed: the same seed gives the same artwork.")
flags.DEFINE_integer("width", 768, "Width of each image in pixels.")
flags.DEFINE_integer("height", 768, "Height of each image in pixels.")
flags.DEFINE_enum("generator", "cppn", ["cppn", "fourier_cppn"], "Which generator draws.")
flags.DEFINE_string("encoder", "ha", "Coordinate encoder: ha, lucid, periodic, fourier or siren.")
flags.DEFINE_integer("depth", 6, "Number of hidden layers.")
flags.DEFINE_integer("hidden", 32, "Units per hidden layer.")
flags.DEFINE_string("activation", "tanh", "tanh, sin, gaussian, softplus, relu, composite, "
                    "a comma-separated list cycled over the layers, or mix.")
flags.DEFINE_integer("latent_dim", 8, "Size of the latent code z (0 for none).")
flags.DEFINE_float("init_scale", 3.0, "Weight scale; larger draws busier, sharper pictures.")
flags.DEFINE_integer("grid", 10, "Frequency grid (G x G) of the Fourier-CPPN.")
flags.DEFINE_float("sigma", 2.0, "Frequency spread of --encoder fourier.")
flags.DEFINE_bool("colour", True, "Colour output (--nocolour or --grey for greyscale).")
flags.DEFINE_bool("grey", False, "Greyscale output (same as --nocolour).")
flags.DEFINE_bool("mirror", False, "Left-right mirror symmetry.")
flags.DEFINE_integer("fold", 0, "k-fold kaleidoscope symmetry (0 for none, k >= 2).")
flags.DEFINE_integer("variations", 1, "How many latent variations to draw (a contact sheet if > 1).")
flags.DEFINE_integer("frames", 0, "Frames of a looping latent-space animation (0 for none).")
flags.DEFINE_integer("keyframes", 4, "Latent keyframes the animation passes through.")
flags.DEFINE_integer("fps", 24, "Frames per second of the animation.")
flags.DEFINE_enum("video", "gif", ["gif", "mp4"], "Animation format (mp4 needs imageio-ffmpeg).")
flags.DEFINE_integer("bits", 8, "Bits per channel of the PNGs: 8 or 16.")
flags.DEFINE_integer("supersample", 1, "Samples per pixel per side (2 = 4x anti-aliasing).")
flags.DEFINE_string("out", "out/cppn_art", "Output folder.")
flags.DEFINE_string("export", None, "Also export the generator as a SavedModel to this folder.")

cli.positive("width", 32768)
cli.positive("height", 32768)
cli.positive("depth", 64)
cli.positive("hidden", 4096)
cli.at_least("latent_dim", 0)
cli.positive("variations", 1000)
cli.at_least("frames", 0)
cli.positive("keyframes")
cli.positive("fps", 120)
cli.positive("supersample", 8)
cli.positive("grid", 64)
cli.one_of("bits", (8, 16))
flags.register_validator("fold", lambda v: v == 0 or v >= 2, message="--fold must be 0 or at least 2")


def build_generator():
    from tfart import generators
    # SIREN is a sine network: its encoder implies sin layers unless --activation says otherwise.
    activation = "sin" if FLAGS.encoder == "siren" and not FLAGS["activation"].present else FLAGS.activation
    kwargs = dict(latent_dim=FLAGS.latent_dim, depth=FLAGS.depth, hidden=FLAGS.hidden,
                  activation=activation, encoder=FLAGS.encoder,
                  colour=FLAGS.colour and not FLAGS.grey, init_scale=FLAGS.init_scale,
                  sigma=FLAGS.sigma, mirror=FLAGS.mirror, fold=FLAGS.fold, seed=FLAGS.seed)
    if FLAGS.generator == "fourier_cppn":
        kwargs["reference_size"] = min(FLAGS.width, FLAGS.height)
        kwargs["grid"] = FLAGS.grid
    return generators.make(FLAGS.generator, **kwargs)


def write_recipe(path, generator, model_file, **fields):
    """A JSON recipe: the model file, the size, seed and config, and what to render (z or keyframes)."""
    from tfart import imaging
    recipe = {"model": model_file, "width": FLAGS.width, "height": FLAGS.height,
              "supersample": FLAGS.supersample, "seed": FLAGS.seed, **fields,
              "generator": generator.get_config()}
    with imaging.atomic_path(path) as tmp:
        with open(tmp, "w") as f:
            json.dump(recipe, f, indent=1)


def main(argv):
    del argv
    import numpy as np

    from tfart import export, imaging, latent, render

    render.check_size(FLAGS.height, FLAGS.width, count=FLAGS.variations)
    render.check_size(FLAGS.height, FLAGS.width, flag="--frames", count=FLAGS.frames)
    imaging.check_writable(os.path.join(FLAGS.out, ".probe"))
    stem = f"{FLAGS.generator}_seed{FLAGS.seed}"
    loop_path = os.path.join(FLAGS.out, f"{stem}_loop.{FLAGS.video}")
    if FLAGS.frames:
        imaging.check_animation_path(loop_path, "--video")
    if FLAGS.export:
        imaging.check_writable(FLAGS.export, "--export", kind="folder")
    generator = build_generator()

    # The model file is named by its config too, so a later run with other flags never changes
    # the network that an earlier recipe points at.
    config = json.dumps(generator.get_config(), sort_keys=True)
    model_file = f"{stem}_{hashlib.sha1(config.encode()).hexdigest()[:8]}.keras"
    if FLAGS.variations == 1:
        codes = generator.default_z().numpy()
    else:
        codes = latent.random_codes(FLAGS.variations, generator.latent_dim, FLAGS.seed + 1)
        if generator.latent_dim == 0:
            print("note: --latent_dim 0 gives identical variations; only one is drawn")
            codes = codes[:1]
    images = render.render(generator, FLAGS.height, FLAGS.width, z=codes,
                           supersample=FLAGS.supersample, bits=FLAGS.bits,
                           progress=FLAGS.width * FLAGS.height * len(codes) > 4096 ** 2)

    export.save_keras(generator, os.path.join(FLAGS.out, model_file))
    written = []
    for i, (image, z) in enumerate(zip(images, codes)):
        name = stem if len(codes) == 1 else f"{stem}_{i:03d}"
        png = imaging.save_png(os.path.join(FLAGS.out, name + ".png"), image, bits=FLAGS.bits)
        write_recipe(os.path.join(FLAGS.out, name + ".json"), generator, model_file,
                     z=[float(v) for v in z], bits=FLAGS.bits)
        written.append(png)
    if len(images) > 1:
        sheet = imaging.contact_sheet([imaging.to_uint(i / ((1 << FLAGS.bits) - 1)) for i in images])
        written.append(imaging.save_png(os.path.join(FLAGS.out, f"{stem}_sheet.png"), sheet))

    if FLAGS.frames:
        keys = codes if len(codes) > 1 else latent.random_codes(FLAGS.keyframes, generator.latent_dim, FLAGS.seed + 2)
        path = latent.loop(keys, FLAGS.frames)
        frames = np.concatenate([render.render(generator, FLAGS.height, FLAGS.width, z=path[i:i + 8],
                                               supersample=FLAGS.supersample, bits=8)
                                 for i in range(0, len(path), 8)])
        written.append(imaging.save_animation(loop_path, list(frames), fps=FLAGS.fps))
        write_recipe(os.path.join(FLAGS.out, f"{stem}_loop.json"), generator, model_file,
                     keyframes=[[float(v) for v in k] for k in keys], frames=FLAGS.frames, fps=FLAGS.fps)

    if FLAGS.export:
        written.append(export.export(generator, FLAGS.export, flag="--export", seed=FLAGS.seed))
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    cli.run(main)

"""Random CPPN and Fourier-CPPN artworks: variations, contact sheets, latent-space animations.

    tfart-art                                       # one 768x768 artwork in out/cppn_art/
    tfart-art --variations 9 --seed 7               # nine latent variations and a contact sheet
    tfart-art --fold 6 --grey --out out/kaleido.gif # a kaleidoscopic latent loop (and its still)
    tfart-art --generator fourier_cppn --export out/fcppn   # keep it as a SavedModel too

--out x.png writes that picture (the contact sheet, with --variations); --out x.gif or x.mp4
writes that latent loop (48 frames unless --frames) and x.png beside it; --out FOLDER names the
files GENERATOR_seedN*. Every image is saved with a recipe (NAME.json) and the network (a .keras
file it names), so `tfart-render --recipe NAME.json --width 8192 --height 8192` makes it again at
any size. (scripts/cppn_art.py is the same command.)
"""
import hashlib
import json
import os

from absl import flags

from tfart import cli
from tfart.cppn_defaults import CPPN_DEFAULTS as NET

FLAGS = flags.FLAGS
# The network's defaults are the CPPN's own (tfart.cppn_defaults, one source of truth).
cli.define_picture_flags(768, "Random seed: the same seed gives the same artwork.",
                         "Latent keyframes the loop passes through.")
flags.DEFINE_enum("generator", "cppn", ["cppn", "fourier_cppn"], "Which generator draws.")
flags.DEFINE_string("encoder", NET["encoder"], "Coordinate encoder: ha, lucid, periodic, fourier or siren.")
flags.DEFINE_integer("depth", NET["depth"], "Number of hidden layers.")
flags.DEFINE_integer("hidden", NET["hidden"], "Units per hidden layer.")
flags.DEFINE_string("activation", NET["activation"], "tanh, sin, gaussian, softplus, relu, composite, "
                    "a comma-separated list cycled over the layers, or mix.")
flags.DEFINE_integer("latent_dim", NET["latent_dim"], "Size of the latent code z (0 for none).")
flags.DEFINE_float("init_scale", NET["init_scale"], "Weight scale; larger draws busier, sharper pictures "
                   "(sin and gaussian layers take 3/7 of it, softplus and relu 1/5).")
flags.DEFINE_float("coord_scale", NET["coord_scale"], "x, y and r are multiplied by this (encoder ha): "
                   "larger zooms out, with more folds.")
flags.DEFINE_float("z_scale", NET["z_scale"], "z is multiplied by this: how far apart latent variations are.")
flags.DEFINE_integer("grid", 10, "Frequency grid (G x G) of the Fourier-CPPN.")
flags.DEFINE_float("sigma", NET["sigma"], "Frequency spread of --encoder fourier.")
flags.DEFINE_bool("colour", True, "Colour output (--nocolour or --grey for greyscale).")
flags.DEFINE_bool("grey", False, "Greyscale output (same as --nocolour).")
flags.DEFINE_bool("mirror", False, "Left-right mirror symmetry.")
flags.DEFINE_integer("fold", 0, "k-fold kaleidoscope symmetry (0 for none, k >= 2).")
flags.DEFINE_integer("variations", 1, "How many latent variations to draw (a contact sheet if > 1).")
flags.DEFINE_enum("video", "gif", ["gif", "mp4"], "Animation format (mp4 needs imageio-ffmpeg).")
flags.DEFINE_string("out", "out/cppn_art", "A .png file, a .gif/.mp4 loop, or a folder.")
flags.DEFINE_string("export", None, "Also export the generator as a SavedModel to this folder.")

cli.positive("depth", 64)
cli.positive("hidden", 4096)
cli.at_least("latent_dim", 0)
cli.positive("variations", 1000)
cli.positive("grid", 64)
flags.register_validator("activation", lambda v: _known_activations(v),
                         message="must be tanh, sin, gaussian, softplus, relu, composite, mix, "
                         "or a comma-separated list of them")
flags.register_validator("fold", lambda v: v == 0 or v >= 2, message="must be 0 or at least 2")


def _known_activations(text):
    from tfart.generators.cppn import ACTIVATIONS
    names = [a.strip() for a in text.split(",")]
    return text == "mix" or (all(names) and all(a in ACTIVATIONS for a in names))


def build_generator():
    from tfart import generators
    # SIREN is a sine network: its encoder implies sin layers unless --activation says otherwise.
    activation = "sin" if FLAGS.encoder == "siren" and not FLAGS["activation"].present else FLAGS.activation
    kwargs = dict(latent_dim=FLAGS.latent_dim, depth=FLAGS.depth, hidden=FLAGS.hidden,
                  activation=activation, encoder=FLAGS.encoder,
                  colour=FLAGS.colour and not FLAGS.grey, init_scale=FLAGS.init_scale,
                  coord_scale=FLAGS.coord_scale, z_scale=FLAGS.z_scale,
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
    imaging.save_json(path, recipe)


def animation_settings(out):
    """(frames, video suffix): --out x.gif/.mp4 asks for a loop and names its format."""
    from tfart.errors import UsageError
    if out.suffix not in cli.ANIMATIONS:
        return FLAGS.frames, f".{FLAGS.video}"
    if FLAGS["video"].present and f".{FLAGS.video}" != out.suffix:
        raise UsageError(f"--video: --out {FLAGS.out!r} is already a {out.suffix} file")
    if FLAGS["frames"].present and FLAGS.frames == 0:
        raise UsageError(f"--frames: --out {FLAGS.out!r} is an animation; give --frames 1 or more")
    return (FLAGS.frames or 48), out.suffix


def main(argv):
    import numpy as np

    from tfart import export, imaging, latent, rendering
    from tfart.errors import UsageError

    out = cli.out_path(FLAGS.out, f"{FLAGS.generator}_seed{FLAGS.seed}")
    frames, video = animation_settings(out)
    rendering.check_size(FLAGS.height, FLAGS.width, count=FLAGS.variations)
    rendering.check_size(FLAGS.height, FLAGS.width, flag="--frames", count=frames)
    loop_path = out.path(video) if out.suffix in cli.ANIMATIONS else out.path(video, "_loop")
    sheet_path = out.path(".png") if out.suffix else out.path(".png", "_sheet")
    imaging.check_writable(sheet_path)
    if frames:
        imaging.check_animation_path(loop_path, "--out" if out.suffix in cli.ANIMATIONS else "--video")
    if FLAGS.export:
        imaging.check_writable(FLAGS.export, "--export", kind="folder")
        if os.path.abspath(FLAGS.export) in {os.path.abspath(p) for p in (sheet_path, loop_path, out.path(".png"))}:
            raise UsageError(f"--export: {FLAGS.export!r} is also an output of --out")
    generator = build_generator()
    grey = not generator.colour

    # The model file is named by its config too, so a later run with other flags never changes
    # the network that an earlier recipe points at.
    config = json.dumps(generator.get_config(), sort_keys=True)
    model_file = f"{out.stem}_{hashlib.sha1(config.encode()).hexdigest()[:8]}.keras"
    if FLAGS.variations == 1:
        codes = generator.default_z().numpy()
    else:
        codes = latent.random_codes(FLAGS.variations, generator.latent_dim, FLAGS.seed + 1)
        if generator.latent_dim == 0:
            print("note: --latent_dim 0 gives identical variations; only one is drawn")
            codes = codes[:1]
    images = rendering.render(generator, FLAGS.height, FLAGS.width, z=codes,
                           supersample=FLAGS.supersample, bits=FLAGS.bits,
                           progress=FLAGS.width * FLAGS.height * len(codes) > 4096 ** 2)

    def wrote(path):  # named as soon as it is written, so that Ctrl-C later leaves it named
        print(f"wrote {path}", flush=True)

    export.save_keras(generator, os.path.join(out.folder, model_file))
    for i, (image, z) in enumerate(zip(images, codes)):
        tag = "" if len(codes) == 1 else f"_{i:03d}"
        wrote(imaging.save_png(out.path(".png", tag), image, bits=FLAGS.bits, grey=grey))
        write_recipe(out.path(".json", tag), generator, model_file, z=[float(v) for v in z], bits=FLAGS.bits)
    if len(images) > 1:
        sheet = imaging.contact_sheet([imaging.to_uint(i / ((1 << FLAGS.bits) - 1)) for i in images])
        wrote(imaging.save_png(sheet_path, sheet, grey=grey))

    if frames:
        keys = codes if len(codes) > 1 else latent.random_codes(FLAGS.keyframes, generator.latent_dim, FLAGS.seed + 2)
        path = latent.loop(keys, frames)
        movie = np.concatenate([rendering.render(generator, FLAGS.height, FLAGS.width, z=path[i:i + 8],
                                              supersample=FLAGS.supersample, bits=8)
                                for i in range(0, len(path), 8)])
        wrote(imaging.save_animation(loop_path, list(movie), fps=FLAGS.fps))
        write_recipe(out.path(".json", "_loop"), generator, model_file,
                     keyframes=[[float(v) for v in k] for k in keys], frames=frames, fps=FLAGS.fps)

    if FLAGS.export:
        wrote(export.export(generator, FLAGS.export, flag="--export", seed=FLAGS.seed))


def run():
    cli.run(main)


if __name__ == "__main__":
    run()

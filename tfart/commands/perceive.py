"""Perception engines: draw what classifiers see as a class, by gradient or by random search.

    tfart-perceive --target "goldfish" --models mobilenet_v2,resnet50 --out out/goldfish.svg
    tfart-perceive --target 7 --models digits --size 48 --out out/seven.svg
    tfart-perceive --target 7 --models digits --size 48 --method random_search --budget 3000
    tfart-perceive --target 3 --models my_model.keras --labels my_labels.txt --input_range -1,1 --size 64

The generator (--generator: strokes by default, or cppn, fourier_cppn, fft; tfart.perception.start:
a CPPN starts from small weights, a nearly flat tint) is changed until every
classifier of --models (keras.applications names, with --weights, or your own .keras/.h5
classifier files) gives --target at least --threshold, or --budget classifier evaluations are
spent. --method gradient back-propagates the classifiers' cross-entropy into the generator's
parameters (a step counts as tfart.search.GRADIENT_STEP_COST evaluations per model and image it
judges: pen strokes are judged sharp and blurred, two images);
random_search perturbs the same parameters and keeps what the classifiers like better (Tom
White's Perception Engines). Each classifier sees its own random transform of the drawing
(--transforms none turns them off). At the end each classifier's probability is printed.
--out x.png writes x.png; x.gif writes that time-lapse and x.png; x.svg writes the strokes as
vector paths and x.png beside them. (scripts/perceive.py is the same command.)
"""
import os
import sys

from absl import flags

from tfart import cli, settings

FLAGS = flags.FLAGS
flags.DEFINE_string("target", None, "The class: an index, or a name of the classifiers' labels.")
flags.DEFINE_list("models", ["mobilenet_v2"], "keras.applications names and/or Keras classifier files.")
flags.DEFINE_list("model_weights", None, "A weight per model in the ensemble (equal by default).")
flags.DEFINE_string("weights", "imagenet", "Weights of the keras.applications models: imagenet "
                    "(downloaded once), a weights file, or none (random: the machinery only).")
flags.DEFINE_string("labels", None, "Class names of the model files, one per line.")
flags.DEFINE_enum("input_range", "0,1", ["0,1", "-1,1", "0,255"], "What the model files take as pixel values.")
flags.DEFINE_enum("generator", "strokes", ["strokes", "cppn", "fourier_cppn", "fft"], "What draws.")
flags.DEFINE_integer("strokes", 32, "Strokes of the stroke generator.")
flags.DEFINE_enum("style", None, ["ink", "marker", "pen"], "The strokes' look (pen: a broad black pen, for letters; "
                  "default: pen when --models is glyphs alone, ink otherwise).")
flags.DEFINE_enum("method", "gradient", ["gradient", "random_search"], "How the drawing is changed.")
flags.DEFINE_integer("budget", 3000, "Classifier evaluations to spend at most.")
flags.DEFINE_integer("patience", None,
                     f"Classifier evaluations after which a drawing whose target probability has not risen by "
                     f"{settings.PERCEPTION_RISE} starts again from a new random start, by either method (0: never; "
                     f"default: 150 for strokes and for gradient on a CPPN, {settings.PERCEPTION_PATIENCE} otherwise; "
                     f"90 for --style pen by gradient; with --transforms none, 30 and 60 by random search).")
flags.DEFINE_float("threshold", 0.9, "Stop when every model gives the target this probability (1: never).")
flags.DEFINE_float("lr", None, "Learning rate of --method gradient (default: 0.005 for cppn and fourier_cppn, "
                   "0.1 for --style pen, 0.05 for the others).")
flags.DEFINE_float("blur", None, "Sigma in pixels of a Gaussian blur: while the drawing is changed, the models also "
                   "see it so blurred; the threshold is judged unblurred (0: none; default: --size / 16 for "
                   "--style pen by gradient, 0 otherwise).")
flags.DEFINE_enum("transforms", "standard", ["none", "standard"], "Random transforms before each model.")
flags.DEFINE_integer("size", 224, "Side of the drawing in pixels.")
flags.DEFINE_string("out", "out/perceive.png", "A .png, a .gif/.mp4 time-lapse, a .svg, or a folder.")
flags.DEFINE_integer("timelapse_every", 10, "Steps (or kept candidates' evaluations) between frames.")
flags.DEFINE_string("export", None, "Export the drawing's generator as a SavedModel folder here.")
flags.DEFINE_integer("upscale", 0, "Also render the drawing at this many times the size (strokes, CPPNs).")
flags.DEFINE_integer("seed", 0, "Random seed.")
cli.seed()
cli.not_empty("models", "one or more classifiers")
cli.positive("strokes", 4096)
flags.register_validator("budget", lambda v: v >= 1, message="must be at least 1 classifier evaluation")
flags.register_validator("patience", lambda v: v is None or v >= 0, message="must be 0 (never start again) or more")
flags.register_validator("threshold", lambda v: 0 < v <= 1, message="must be in (0, 1]")
cli.greater_than("lr", 0.0)
flags.register_validator("blur", lambda v: v is None or v >= 0, message="must be 0 (none) or more pixels")
cli.positive("size", 4096)
cli.positive("timelapse_every")
cli.at_least("upscale", 0)
flags.register_validator("model_weights", lambda v: v is None or all(cli.is_weight(w) for w in v),
                         message="must be non-negative numbers, one per model")


def outputs():
    """jobs.Outputs and the SVG path (or None) from --out."""
    from tfart.errors import UsageError
    from tfart.jobs import Outputs
    svg = None
    if FLAGS.out.lower().endswith(".svg"):
        if FLAGS.generator != "strokes":
            raise UsageError(f"--out: an SVG holds strokes; --generator {FLAGS.generator} draws no paths")
        svg = FLAGS.out
        out = cli.Out(os.path.dirname(svg), os.path.splitext(os.path.basename(svg))[0], ".svg")
    else:
        out = cli.out_path(FLAGS.out, "perceive")
    timelapse = out.path(out.suffix) if out.suffix in cli.ANIMATIONS else None
    return Outputs(png=out.path(".png"), timelapse=timelapse, timelapse_every=FLAGS.timelapse_every,
                   export=FLAGS.export, upscale=FLAGS.upscale,
                   about={"target": FLAGS.target, "models": FLAGS.models}), svg


def main(argv):
    from tfart import classifiers, imaging, jobs, perception, search, transforms
    from tfart.errors import UsageError

    cli.use_seed()
    if FLAGS.target is None:
        raise UsageError("--target: give a class name or index")
    if FLAGS.model_weights and len(FLAGS.model_weights) != len(FLAGS.models):
        raise UsageError(f"--model_weights: {len(FLAGS.model_weights)} weights for {len(FLAGS.models)} models")
    out, svg = outputs()
    out.check()
    if svg:
        imaging.check_writable(svg, "--out")
    if FLAGS.method == "random_search" and out.timelapse:
        raise UsageError("--out: a time-lapse follows the steps of --method gradient")
    judges = [classifiers.Classifier(m, FLAGS.weights, FLAGS.input_range,
                                     None if m in classifiers.APPLICATIONS else FLAGS.labels) for m in FLAGS.models]
    indices = [j.class_index(FLAGS.target) for j in judges]
    transform = transforms.standard(FLAGS.size) if FLAGS.transforms == "standard" else None
    weights = [float(w) for w in FLAGS.model_weights] if FLAGS.model_weights else None
    style = FLAGS.style or ("pen" if set(FLAGS.models) == {"glyphs"} else "ink")
    if FLAGS.generator == "strokes" and not FLAGS.style and style == "pen":
        print("--models glyphs: drawing with --style pen, the pen for letters (--style ink for thin ink)",
              file=sys.stderr)
    own = dict(strokes=FLAGS.strokes, style=style) if FLAGS.generator == "strokes" else {}
    generator = perception.start(FLAGS.generator, FLAGS.size, seed=FLAGS.seed, **own)
    out.check(generator, FLAGS.size, FLAGS.size)
    blur = perception.blur_of(FLAGS.method, generator, FLAGS.size) if FLAGS.blur is None else FLAGS.blur
    result, spent = perception.draw(generator, judges, indices, method=FLAGS.method, budget=FLAGS.budget,
                                    size=FLAGS.size, threshold=FLAGS.threshold, lr=FLAGS.lr, weights=weights,
                                    transform=transform, outputs=out, seed=FLAGS.seed, patience=FLAGS.patience,
                                    blur=blur)
    size = FLAGS.size
    if svg and result.stopped in jobs.FINISHED:
        with imaging.atomic_path(svg, "--out") as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(generator.to_svg(size, size))
        result.written.append(svg)
    image = generator.image(size, size)
    counted = (f" (a gradient step counts {perception.step_cost(judges, blur):g}: {search.GRADIENT_STEP_COST:g} per "
               f"model and image judged)")
    print(f"{FLAGS.method}: {spent:g} classifier evaluations" + (counted if FLAGS.method == "gradient" else ""))
    for judge, index, p in zip(judges, indices, classifiers.scores(judges, indices, image)):
        print(f"  {os.path.basename(judge.name):<24} {judge.labels[index]!r:<24} p = {p:.3f}")
    cli.finish(result)


def run():
    cli.run(main)


if __name__ == "__main__":
    run()

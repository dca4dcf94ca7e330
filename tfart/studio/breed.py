"""Genomes and the breeding operators over them: mutation, crossover, growth (Picbreeder, NEAT).

A genome is one CPPN or Fourier-CPPN as plain data: the generator's constructor config and its
weights as a network dict (tfart.generators.population), with where it came from. Operators work
on NumPy arrays and never build a Keras model, so a generation of 16 children costs milliseconds;
`to_model` makes the generator when a picture is steered, rendered large or exported.
"""
import dataclasses

import numpy as np

from tfart.cppn_defaults import CPPN_DEFAULTS

KINDS = ("cppn", "fourier_cppn", "strokes")
# What a bred layer may turn into (linear only comes from growth).
SWAPS = ("tanh", "sin", "gaussian", "softplus")
# A generator's weight scale per activation (generators.cppn.GAIN): a swap rescales the layer so
# that a tanh layer turned into sin keeps a picture instead of pixel confetti.
GAIN = {"tanh": 1.0, "sin": 3 / 7, "gaussian": 3 / 7, "softplus": 0.2, "relu": 0.2, "linear": 1.0}
# The art CPPN's look (cppn_defaults) with the family's fixed parts; a Fourier-CPPN's 6 x 6 grid
# on a 128 px reference canvas keeps a generation's coefficients small enough for one call.
BASE = {"cppn": dict(CPPN_DEFAULTS),
        "fourier_cppn": {**CPPN_DEFAULTS, "grid": [6, 6], "reference_size": 128, "detail": 0.3},
        "strokes": {"strokes": 24, "curves": True}}
STROKE_PARTS = ("points", "colours", "widths", "opacities", "background")
UNITS_PER_GROWTH = 4
MAX_DEPTH, MAX_HIDDEN, MAX_STROKES = 12, 96, 128


@dataclasses.dataclass
class Genome:
    """One picture's network: kind, constructor config, arrays, and its history."""
    kind: str
    config: dict
    arrays: dict
    parents: list = dataclasses.field(default_factory=list)
    made_by: str = "random"    # random | mutation | crossover | steer
    seed: int = 0
    about: dict = dataclasses.field(default_factory=dict)  # strength, growth, steer objective, ...

    @property
    def member(self):
        """What generators.population renders: (arrays, activations) of a network, (arrays,
        style) of strokes."""
        if self.kind == "strokes":
            from tfart.generators.strokes import STYLES
            low, high = STYLES[self.config["style"]]["width"]
            return self.arrays, {"low": low, "high": high, "curves": self.config["curves"]}
        return self.arrays, list(self.config["activation"])

    def summary(self):
        """What it is, in a few words."""
        c = self.config
        if self.kind == "strokes":
            return f"{len(self.arrays['points'])} {c['style']} strokes"
        return f"{c['depth']} layers of {c['hidden']} ({', '.join(c['activation'])})"

    def child(self, arrays, activations, made_by, parents, seed, **about):
        if self.kind == "strokes":
            config = {**self.config, "strokes": len(arrays["points"]), "seed": int(seed)}
        else:
            config = {**self.config, "activation": list(activations), "depth": len(activations),
                      "hidden": int(arrays["bias_0"].shape[0]), "seed": int(seed)}
        return Genome(self.kind, config, arrays, list(parents), made_by, int(seed), about)


def generator_class(kind):
    from tfart.generators import CPPN, FourierCPPN, Strokes
    return {"cppn": CPPN, "fourier_cppn": FourierCPPN, "strokes": Strokes}[kind]


def _stroke_variables(model):
    return dict(zip(STROKE_PARTS, (model.points, model.colour_logits, model.width_logits, model.opacity_logits,
                                   model.background_logits)))


def to_model(genome):
    """The genome as a tfart generator (CPPN, FourierCPPN or Strokes) with its weights."""
    from tfart.generators import population
    if genome.kind == "strokes":
        model = generator_class("strokes")(**{**genome.config, "strokes": len(genome.arrays["points"])})
        for key, variable in _stroke_variables(model).items():
            variable.assign(genome.arrays[key])
        return model
    return population.load(generator_class(genome.kind)(**genome.config), genome.arrays)


def from_model(model, kind, **history):
    """A genome holding a generator's current weights (after a steer)."""
    from tfart.generators import population
    config = {k: v for k, v in model.get_config().items() if k != "name"}
    if kind == "strokes":
        arrays = {k: np.asarray(v.numpy(), np.float32) for k, v in _stroke_variables(model).items()}
    else:
        arrays = population.arrays_of(model)
    return Genome(kind, config, arrays, **history)


def random(kind, seed):
    """A fresh genome: the art CPPN's defaults with a seeded mix of activations."""
    rng = np.random.default_rng(seed)
    if kind == "strokes":  # coloured markers and ink hairlines, half and half
        config = {**BASE[kind], "style": str(rng.choice(["marker", "ink"])), "seed": int(seed)}
        return from_model(generator_class(kind)(**config), kind, made_by="random", seed=int(seed))
    depth = int(BASE[kind]["depth"])
    activations = ["tanh"] + [str(rng.choice(SWAPS, p=[0.55, 0.15, 0.15, 0.15])) for _ in range(depth - 1)]
    config = {**BASE[kind], "activation": activations, "seed": int(seed)}
    return from_model(generator_class(kind)(**config), kind, made_by="random", seed=int(seed))


def mutate(genome, strength, seed, parents=None):
    """A child: weights and z nudged by `strength` (0-1), maybe an activation swapped, maybe grown
    by a unit group or a layer without changing the picture (NEAT-style complexification)."""
    rng = np.random.default_rng(seed)
    if genome.kind == "strokes":
        return _mutate_strokes(genome, strength, seed, rng, parents)
    arrays, acts = {k: v.copy() for k, v in genome.arrays.items()}, list(genome.config["activation"])
    about = {"strength": float(strength)}
    for key, value in arrays.items():
        if key == "z":
            arrays[key] = np.clip(value + 0.5 * strength * rng.normal(size=value.shape), -1, 1).astype(np.float32)
        elif value.size:
            scale = float(value.std()) or 0.1
            arrays[key] = (value + 0.5 * strength * scale * rng.normal(size=value.shape)).astype(np.float32)
    if rng.random() < 0.5 * strength:
        layer = int(rng.integers(len(acts)))
        new = str(rng.choice([a for a in SWAPS if a != acts[layer]]))
        ratio = GAIN[new] / GAIN[acts[layer]]
        arrays[f"kernel_{layer}"] *= ratio
        arrays[f"bias_{layer}"] *= ratio
        about["swap"] = f"layer {layer}: {acts[layer]} -> {new}"
        acts[layer] = new
    if rng.random() < 0.25 * strength:
        if rng.random() < 0.5 and len(acts) < MAX_DEPTH:
            arrays, acts = add_layer(arrays, acts, int(rng.integers(len(acts))))
            about["grew"] = "a layer"
        elif arrays["bias_0"].shape[0] + UNITS_PER_GROWTH <= MAX_HIDDEN:
            arrays = add_units(arrays, UNITS_PER_GROWTH, rng)
            about["grew"] = f"{UNITS_PER_GROWTH} units a layer"
    return genome.child(arrays, acts, "mutation", parents or [], seed, **about)


def crossover(a, b, strength, seed, parents):
    """A child of two genomes: each layer blended between the parents (both grown to the larger
    shape first), z blended, its activation from the nearer parent; then a light mutation."""
    from tfart.generators.population import depth_of, pad
    rng = np.random.default_rng(seed)
    if a.kind == "strokes":
        return _cross_strokes(a, b, strength, seed, rng, parents)
    depth = max(depth_of(a.arrays), depth_of(b.arrays))
    hidden = max(a.arrays["bias_0"].shape[0], b.arrays["bias_0"].shape[0])
    (xa, acts_a), (xb, acts_b) = pad(*a.member, depth, hidden), pad(*b.member, depth, hidden)
    arrays, acts = {}, []
    layers = [("z",)] + [(f"kernel_{i}", f"bias_{i}") for i in range(depth)] + [("head_kernel", "head_bias")]
    for i, keys in enumerate(layers):
        t = float(rng.uniform(0.2, 0.8))
        for key in keys:
            arrays[key] = ((1 - t) * xa[key] + t * xb[key]).astype(np.float32)
        if keys[0].startswith("kernel_"):
            acts.append((acts_a if t < 0.5 else acts_b)[i - 1])
    child = a.child(arrays, acts, "crossover", parents, seed)
    return dataclasses.replace(mutate(child, 0.5 * strength, seed, parents), made_by="crossover")


def add_layer(arrays, activations, position):
    """An identity layer ('linear', identity weights) inserted after layer `position`: same picture."""
    depth, hidden = len(activations), arrays["bias_0"].shape[0]
    out = {k: v for k, v in arrays.items() if not k.startswith(("kernel_", "bias_"))}
    order = list(range(position + 1)) + [None] + list(range(position + 1, depth))
    for new, old in enumerate(order):
        out[f"kernel_{new}"] = np.eye(hidden, dtype=np.float32) if old is None else arrays[f"kernel_{old}"]
        out[f"bias_{new}"] = np.zeros(hidden, np.float32) if old is None else arrays[f"bias_{old}"]
    acts = list(activations[:position + 1]) + ["linear"] + list(activations[position + 1:])
    return out, acts


def add_units(arrays, count, rng):
    """`count` more units in every layer, fed by random weights and feeding nothing old (their
    outgoing weights to old units and the head are zero): same picture, room to change."""
    depth = sum(1 for k in arrays if k.startswith("kernel_"))
    out = dict(arrays)
    for i in range(depth):
        kernel = arrays[f"kernel_{i}"]
        scale = float(kernel.std()) or 0.1
        fan_in = kernel.shape[0] + (count if i else 0)
        grown = np.zeros((fan_in, kernel.shape[1] + count), np.float32)
        grown[:kernel.shape[0], :kernel.shape[1]] = kernel
        grown[:, kernel.shape[1]:] = scale * rng.normal(size=(fan_in, count))  # into the new units only
        out[f"kernel_{i}"] = grown
        out[f"bias_{i}"] = np.concatenate([arrays[f"bias_{i}"], scale * rng.normal(size=count)]).astype(np.float32)
    out["head_kernel"] = np.concatenate([arrays["head_kernel"], np.zeros((count, arrays["head_kernel"].shape[1]),
                                                                         np.float32)])
    return out


# How far each part of a stroke drawing moves at strength 1 (points in plane units, the rest in logits).
STROKE_STEPS = {"points": 0.15, "colours": 1.0, "widths": 0.8, "opacities": 0.8, "background": 0.5}


def _mutate_strokes(genome, strength, seed, rng, parents):
    """Strokes nudged (ends, bend, colour, width, opacity, paper), maybe a faint new stroke on top."""
    arrays = {k: (v + strength * STROKE_STEPS[k] * rng.normal(size=v.shape)).astype(np.float32)
              for k, v in genome.arrays.items()}
    about = {"strength": float(strength)}
    if rng.random() < 0.25 * strength and len(arrays["points"]) < MAX_STROKES:
        start = rng.uniform(-0.9, 0.9, 2)
        end = start + rng.normal(0, 0.25, 2)
        new = {"points": np.stack([start, (start + end) / 2, end])[None], "colours": rng.normal(0, 1.5, (1, 3)),
               "widths": np.zeros(1), "opacities": np.full(1, -3.0)}  # faint (5%): it grows in later
        arrays.update({k: np.concatenate([arrays[k], v.astype(np.float32)]) for k, v in new.items()})
        about["grew"] = "a stroke"
    return genome.child(arrays, None, "mutation", parents or [], seed, **about)


def _cross_strokes(a, b, strength, seed, rng, parents):
    """Each stroke from one parent or the other (a longer parent's extra strokes kept), the paper
    blended; then a light mutation."""
    short, long_ = sorted((a.arrays, b.arrays), key=lambda x: len(x["points"]))
    pick = rng.random(len(short["points"])) < 0.5
    arrays = {k: np.concatenate([np.where(pick.reshape((-1,) + (1,) * (v.ndim - 1)), short[k], long_[k][:len(v)]),
                                 long_[k][len(v):]]) for k, v in short.items() if k != "background"}
    t = float(rng.uniform(0.2, 0.8))
    arrays["background"] = ((1 - t) * a.arrays["background"] + t * b.arrays["background"]).astype(np.float32)
    child = a.child(arrays, None, "crossover", parents, seed)
    return dataclasses.replace(_mutate_strokes(child, 0.5 * strength, seed, rng, parents), made_by="crossover")

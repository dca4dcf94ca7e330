"""A neural cellular automaton (Mordvintsev et al., *Self-Organising Textures*, Distill 2021).

The picture is the state of a grid of cells, 12 numbers each, the first three read as RGB (plus
0.5). One small rule runs on every cell, again and again: a cell perceives its own state and the
Sobel x, Sobel y and Laplacian filters of its neighbourhood (fixed, on a torus: the grid wraps),
a 96-unit ReLU layer and a linear layer turn that into a change, and each cell applies its change
with probability `fire_rate` per step (stochastic updates: no global clock). About 6,000
parameters, and no notion of the grid's size: the same rule grows a texture on a grid of any
shape, tiles seamlessly, keeps moving, and regrows what is erased.

Training (the loop of tfart.optimize, like every generator): each step takes `sample_batch`
states from a pool, one of them a fresh seed every `reseed_every` steps, runs the rule 32 to 64
times on them, and returns their pictures to the objective; the states go back into the pool, so
the rule learns to grow a texture and to keep it. The pool is training scratch: it is not saved
in checkpoints (a resumed run starts a fresh pool) nor in exports. The overflow term keeps the
states in [-1, 1]. The paper's per-variable gradient normalisation is optimize.Settings's
normalize_gradients (style_transfer.RECIPES['nca'] sets it).

Rendering runs the rule from the seed (all zeros) for `render_steps` steps with stateless
random updates, so a render is the same every time, here and from an export.
"""
import keras
import numpy as np
import tensorflow as tf

from tfart.errors import UserError
from tfart.generators.base import Generator

CHANNELS = 12
MAX_CELLS = 4096 * 2048  # a step holds about 1 KB per cell (perception, hidden layer): ~8 GB here
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32) / 8
LAPLACIAN = np.array([[1, 2, 1], [2, -12, 2], [1, 2, 1]], np.float32) / 16
IDENTITY = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32)
FILTERS = np.stack([IDENTITY, SOBEL_X, SOBEL_X.T, LAPLACIAN], axis=-1)  # [3, 3, 4]


def wrap(state):
    """[B, H, W, C] padded by one cell on every side with the opposite edge's cells (a torus)."""
    state = tf.concat([state[:, -1:], state, state[:, :1]], axis=1)
    return tf.concat([state[:, :, -1:], state, state[:, :, :1]], axis=2)


def perceive(state):
    """What each cell sees: [B, H, W, C] -> [B, H, W, 4C], for channel c at 4c..4c+3 its value,
    Sobel x, Sobel y and Laplacian (cross-correlations on a torus)."""
    channels = state.shape[-1]
    kernel = tf.constant(np.repeat(FILTERS[:, :, None, :], channels, axis=2))  # [3, 3, C, 4]
    return tf.nn.depthwise_conv2d(wrap(state), kernel, [1, 1, 1, 1], "VALID")


def rgb(state):
    """The picture a state shows: its first three channels plus 0.5, [B, H, W, 3], not clipped."""
    return state[..., :3] + 0.5


def disc(height, width, radius=0.25):
    """[1, H, W, 1] float32: 1 inside the disc in the middle (radius a fraction of the shorter side)."""
    y, x = np.mgrid[:height, :width]
    r = radius * min(height, width)
    inside = (y - (height - 1) / 2) ** 2 + (x - (width - 1) / 2) ** 2 <= r * r
    return inside[None, :, :, None].astype(np.float32)


@keras.saving.register_keras_serializable(package="tfart")
class NCA(Generator):
    """A neural cellular automaton: [1, H, W, 3] float32 in [0, 1], its state after `render_steps`.

    height, width: the training grid (the pool's states); renders take any size.
    hidden: units of the ReLU layer. fire_rate: the chance that a cell updates at a step.
    pool_size, sample_batch: states kept, and taken per training step. rollout: (fewest, most)
    steps a training step runs. reseed_every: every that many training steps, one sampled state
    starts again from the seed. render_steps: steps from the seed to the rendered picture.
    overflow_weight: weight of the training term sum(|state - clip(state, -1, 1)|).
    """

    stochastic = True
    animated = True
    resolution_free = False  # the rule runs on the whole grid at once: a bigger render is more texture
    default_tile = 32768

    def __init__(self, height, width, hidden=96, fire_rate=0.5, pool_size=256, sample_batch=4,
                 rollout=(32, 64), reseed_every=8, render_steps=96, overflow_weight=1.0, seed=0,
                 name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        rollout = tuple(int(n) for n in rollout)
        if not (1 <= rollout[0] <= rollout[1]):
            raise UserError(f"--rollout: expected 1 <= fewest <= most steps, got {rollout}")
        if not 0 < fire_rate <= 1:
            raise UserError(f"--fire_rate: must be in (0, 1], got {fire_rate}")
        for name, value in (("hidden", hidden), ("pool_size", pool_size), ("reseed_every", reseed_every),
                            ("render_steps", render_steps)):
            if int(value) < 1:
                raise UserError(f"--{name}: must be at least 1, got {value}")
        if not 1 <= sample_batch <= pool_size:
            raise UserError(f"--sample_batch: must be from 1 to the pool's size {pool_size}, got {sample_batch}")
        self.height, self.width, self.hidden = int(height), int(width), int(hidden)
        self.fire_rate, self.pool_size, self.sample_batch = float(fire_rate), int(pool_size), int(sample_batch)
        self.rollout, self.reseed_every, self.render_steps = rollout, int(reseed_every), int(render_steps)
        self.overflow_weight, self.seed = float(overflow_weight), int(seed) % 2 ** 31  # a stateless draw's int32
        # Biases start random (PyTorch's default, as in the paper's code): with zero biases the seed,
        # all zeros, would be a fixed point the rule could never leave (ReLU's gradient at 0 is 0).
        bound = 1 / np.sqrt(4 * CHANNELS)
        self.sense = keras.layers.Dense(self.hidden, activation="relu",
                                        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
                                        bias_initializer=keras.initializers.RandomUniform(-bound, bound, seed=seed))
        # The change starts at zero: a new automaton leaves its seed as it is.
        self.change = keras.layers.Dense(CHANNELS, use_bias=False, kernel_initializer="zeros")
        self.sense.build((None, 4 * CHANNELS))
        self.change.build((None, self.hidden))
        self._scratch = _Pool(self.pool_size, self.height, self.width)

    # -- the rule ---------------------------------------------------------------------------
    def update(self, state, mask):
        """One step: each cell adds its change where mask [B, H, W, 1] is 1."""
        return state + self.change(self.sense(perceive(state))) * mask

    def fires(self, state, seed=None):
        """Which cells update this step: [B, H, W, 1] of 0/1, stateless for a seed [2] (int32)."""
        shape = tf.concat([tf.shape(state)[:3], [1]], axis=0)
        draw = tf.random.uniform(shape) if seed is None else tf.random.stateless_uniform(shape, seed)
        return tf.cast(draw < self.fire_rate, tf.float32)

    def seed_state(self, height, width, batch=1):
        """The seed: every cell zero, [batch, H, W, 12]."""
        return tf.zeros(tf.stack([batch, height, width, CHANNELS]))

    def run(self, state, steps, fires, most=None):
        """`state` after `steps` steps, step i's cells chosen by fires(state, i); most: a bound on
        `steps` (XLA needs one to differentiate the loop)."""
        def body(i, state):
            return i + 1, self.update(state, fires(state, i))
        return tf.while_loop(lambda i, _: i < steps, body, (tf.constant(0), state), maximum_iterations=most)[1]

    def advance(self, state, steps, seed=0, start=0):
        """`state` after `steps` more steps; step i draws its cells from (seed, start + i), so a run
        cut into pieces equals the whole run."""
        seed, start = tf.cast(seed, tf.int32), tf.cast(start, tf.int32)
        return self.run(state, steps, lambda state, i: self.fires(state, tf.stack([seed, start + i])))

    def grow(self, height, width, steps=None, seed=None):
        """[1, H, W, 12]: the seed grown for `steps` steps (render_steps unless given), compiled."""
        compiled = self.exported_functions()
        steps = self.render_steps if steps is None else steps
        return compiled["advance"](compiled["seed_state"](height, width), steps, self.seed if seed is None else seed, 0)

    # -- the Generator interface ------------------------------------------------------------
    def render_tile(self, height, width, top, left, tile_height, tile_width, z=None, supersample=1, offset=None):
        if offset is not None:
            raise ValueError("offset: a cellular automaton has nothing between its cells to sample")
        return self.picture(self.grow(height, width))[:, top:top + tile_height, left:left + tile_width]

    def animate(self, height, width, frames, steps=None, seed=None, damage=False):
        """This automaton growing on an H x W grid (see `animate`): its own seed and render_steps unless given."""
        return animate(self, height, width, frames, self.render_steps if steps is None else steps,
                       self.seed if seed is None else seed, damage)

    def training_image(self, height, width, offset=None):
        """A training step's pictures: sample_batch pool states run 32-64 steps, written back to
        the pool. ([B, H, W, 3], {'overflow': the term that keeps states in [-1, 1]})."""
        if (int(height), int(width)) != (self.height, self.width):
            raise UserError(f"--size: this automaton's pool holds {self.width}x{self.height} grids, "
                            f"not {width}x{height}; make it at the canvas's size")
        pool, rounds = self._scratch.states, self._scratch.rounds
        chosen = tf.random.shuffle(tf.range(self.pool_size))[:self.sample_batch]
        states = tf.gather(pool, chosen)
        reseed = tf.logical_and(tf.equal(rounds % self.reseed_every, 0),
                                tf.equal(tf.range(self.sample_batch), 0))
        states = tf.where(reseed[:, None, None, None], 0.0, states)
        steps = tf.random.uniform([], self.rollout[0], self.rollout[1] + 1, tf.int32)
        final = self.run(states, steps, lambda state, i: self.fires(state), most=self.rollout[1])
        finite = tf.reduce_all(tf.math.is_finite(final))
        pool.scatter_nd_update(chosen[:, None], tf.stop_gradient(tf.where(finite, final, states)))
        rounds.assign_add(1)
        overflow = tf.reduce_sum(tf.abs(final - tf.clip_by_value(final, -1.0, 1.0)))
        return rgb(final), {"overflow": self.overflow_weight * overflow}

    def picture(self, state):
        """What a state shows: [B, H, W, 3] float32 in [0, 1]."""
        return tf.clip_by_value(rgb(state), 0.0, 1.0)

    def exported_functions(self):
        """The automaton's own functions for an export (tfart.export): seed_state, advance, picture."""
        if hasattr(self, "_exported"):
            return self._exported
        scalar = tf.TensorSpec([], tf.int32)
        state = tf.TensorSpec([None, None, None, CHANNELS], tf.float32)
        self._exported = {
            "seed_state": tf.function(lambda height, width: self.seed_state(height, width),
                                      input_signature=[scalar, scalar]),
            "advance": tf.function(self.advance, input_signature=[state, scalar, scalar, scalar]),
            "picture": tf.function(self.picture, input_signature=[state])}
        return self._exported

    @property
    def parameter_count(self):
        return int(sum(np.prod(v.shape) for v in self.trainable_variables))

    def get_config(self):
        return {"name": self.name, "height": self.height, "width": self.width, "hidden": self.hidden,
                "fire_rate": self.fire_rate, "pool_size": self.pool_size, "sample_batch": self.sample_batch,
                "rollout": list(self.rollout), "reseed_every": self.reseed_every,
                "render_steps": self.render_steps, "overflow_weight": self.overflow_weight, "seed": self.seed}


class _Pool:
    """The training pool and its round counter: a plain object, so that neither Keras nor
    tf.train tracks them (they are scratch, kept out of checkpoints, .keras files and exports)."""

    def __init__(self, size, height, width):
        self.states = tf.Variable(tf.zeros([size, height, width, CHANNELS]), trainable=False)
        self.rounds = tf.Variable(0, trainable=False)


def animate(automaton, height, width, frames, steps, seed=0, damage=False):
    """The automaton growing from its seed on an H x W grid: `frames` pictures [H, W, 3] float32
    in [0, 1], frame k (k = 1..frames) after round(k * steps / frames) steps. damage: the run is
    twice as long, and at its middle (after `steps` steps) a disc in the middle is erased.

    automaton: an NCA or an export of one (tfart.export.LoadedGenerator): both give the same frames.
    """
    run = automaton.exported_functions()  # compiled: seed_state, advance, picture
    seed = int(seed) % 2 ** 31  # a stateless draw's int32 seed
    total = 2 * steps if damage else steps
    if frames < 1 or total < frames:
        raise UserError(f"--frames: needs 1 to {total} frames for {total} automaton steps, got {frames}")
    state, done, pictures = run["seed_state"](height, width), 0, []
    hole = 1.0 - disc(height, width)
    for k in range(1, frames + 1):
        target = round(k * total / frames)
        if damage and done < steps <= target:
            state = run["advance"](state, steps - done, seed, done) * hole
            done = steps
        state = run["advance"](state, target - done, seed, done)
        done = target
        pictures.append(run["picture"](state)[0].numpy())
    return pictures

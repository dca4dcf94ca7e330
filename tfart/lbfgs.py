"""L-BFGS, as Gatys et al. and neural-style optimize, from tensorflow-probability.

TFP is optional (pip install -e .[lbfgs]; TFP 0.25 imports under TF 2.21 only with tf-keras
beside it, which leaves `import keras` on Keras 3). The variables are flattened into one vector;
the minimiser runs in chunks so that the loop (tfart.optimize) can report progress, each chunk
continuing the last one's state (its curvature pairs included). One iteration evaluates the
objective once or more (line search). This module knows nothing of monitors or generators.
"""
import tensorflow as tf

from tfart.errors import UserError

CHUNK = 10


def import_tfp():
    try:
        import tensorflow_probability as tfp
    except Exception as e:  # ImportError, or TFP's own check of its TF / tf-keras versions
        raise UserError("--optimizer lbfgs: needs tensorflow-probability and tf-keras "
                        f"(pip install -e .[lbfgs]): {type(e).__name__}") from None
    return tfp


def minimize(loss_fn, variables, iterations):
    """Minimise loss_fn() over `variables` for up to `iterations` L-BFGS iterations.

    Yields (iterations finished in the chunk, loss) after each chunk, with the variables at the
    accepted position. Stops early when L-BFGS converges, fails or stops moving, or when the
    loss is non-finite (then the last yield carries that loss and the variables stay at the last
    accepted position). However it ends, Ctrl-C included, the variables hold an accepted position.
    """
    tfp = import_tfp()
    shapes = [v.shape for v in variables]
    sizes = [int(tf.size(v)) for v in variables]

    def assign(x):
        for v, part, shape in zip(variables, tf.split(x, sizes), shapes):
            v.assign(tf.reshape(part, shape))

    @tf.function
    def value_and_gradients(x):
        assign(x)
        with tf.GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, variables)
        grads = [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]
        return loss, tf.concat([tf.reshape(g, [-1]) for g in grads], 0)

    state, done = None, 0
    # The line search assigns every probe to the variables; `good` is the accepted position.
    good = tf.concat([tf.reshape(v, [-1]) for v in variables], 0)
    try:
        while done < iterations:
            before = 0 if state is None else int(state.num_iterations)
            state = tfp.optimizer.lbfgs_minimize(
                value_and_gradients, initial_position=good if state is None else None,
                previous_optimizer_results=state, max_iterations=before + min(CHUNK, iterations - done),
                tolerance=0.0)
            if not tf.math.is_finite(state.objective_value):
                yield 0, float(state.objective_value)
                return
            good = state.position
            assign(good)
            finished = int(state.num_iterations) - before
            done += finished
            yield finished, float(state.objective_value)
            if bool(state.converged) or bool(state.failed) or finished == 0:
                return
    finally:
        assign(good)

"""L-BFGS, as Gatys et al. and neural-style optimize, from tensorflow-probability.

TFP is optional (pip install -e .[lbfgs]; TFP 0.25 imports under TF 2.21 only with tf-keras
beside it, which leaves `import keras` on Keras 3). The variables are flattened into one vector;
the minimiser is called for one iteration at a time, each call continuing the last one's state
(its curvature pairs included), so that the loop (tfart.optimize) sees every accepted iteration:
its loss, its image. This gives the same result as one call for all iterations; measured here,
30 iterations of a 128 px VGG19 style loss took 10-15% longer than in chunks of 10. One
iteration evaluates the objective once or more (line search). This module knows nothing of
monitors or generators.
"""
import tensorflow as tf

from tfart.errors import UserError

def import_tfp():
    try:
        import tensorflow_probability as tfp
    except Exception as e:  # ImportError, or TFP's own check of its TF / tf-keras versions
        raise UserError("--optimizer lbfgs: needs tensorflow-probability and tf-keras "
                        f"(pip install -e .[lbfgs]): {type(e).__name__}") from None
    return tfp


def minimize(loss_and_gradients, variables, iterations):
    """Minimise a loss over `variables` for up to `iterations` L-BFGS iterations.

    loss_and_gradients() -> (loss, [gradient per variable]) at the variables' current values.
    Yields the loss after each accepted iteration, with the variables at the accepted position.
    Stops early when L-BFGS converges, fails or stops moving, or when the loss is non-finite
    (then the last yield is that loss and the variables stay at the last accepted position).
    However it ends, Ctrl-C included, the variables hold an accepted position.
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
        loss, grads = loss_and_gradients()
        return loss, tf.concat([tf.reshape(g, [-1]) for g in grads], 0)

    state, done = None, 0
    # The line search assigns every probe to the variables; `good` is the accepted position.
    good = tf.concat([tf.reshape(v, [-1]) for v in variables], 0)
    try:
        while done < iterations:
            before = 0 if state is None else int(state.num_iterations)
            state = tfp.optimizer.lbfgs_minimize(
                value_and_gradients, initial_position=good if state is None else None,
                previous_optimizer_results=state, max_iterations=before + 1,
                tolerance=0.0)
            if not tf.math.is_finite(state.objective_value):
                yield float(state.objective_value)
                return
            if int(state.num_iterations) == before:  # it stopped moving
                return
            good = state.position
            assign(good)
            done += 1
            yield float(state.objective_value)
            if bool(state.converged) or bool(state.failed):
                return
    finally:
        assign(good)

"""L-BFGS, as Gatys et al. and neural-style optimize, from tensorflow-probability.

TFP is optional (pip install -e .[lbfgs]; TFP 0.25 imports under TF 2.21 only with tf-keras
beside it, which leaves `import keras` on Keras 3). The variables are flattened into one vector;
the minimiser runs in chunks so that monitors see progress, each chunk continuing the last one's
state (its curvature pairs included). A "step" is one L-BFGS iteration, which evaluates the
objective once or more (line search).
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


def optimize_lbfgs(generator, objective, backbone, height, width, settings, variables,
                   transform, monitors, start_step):
    from tfart.optimize import Result, Run, evaluate, gradients
    tfp = import_tfp()
    if transform is not None:
        raise UserError("--optimizer lbfgs: needs a deterministic objective; use --transforms none")
    shapes = [v.shape for v in variables]
    sizes = [int(tf.size(v)) for v in variables]

    def assign(x):
        for v, part, shape in zip(variables, tf.split(x, sizes), shapes):
            v.assign(tf.reshape(part, shape))

    @tf.function
    def value_and_gradients(x):
        assign(x)
        with tf.GradientTape() as tape:
            loss = tf.add_n(list(evaluate(generator, objective, backbone, height, width).values()))
        grads = gradients(tape, loss, variables)
        return loss, tf.concat([tf.reshape(g, [-1]) for g in grads], 0)

    @tf.function
    def terms():
        return evaluate(generator, objective, backbone, height, width)

    run = Run(generator, height, width, None, start_step, settings)
    result = Result(step=start_step, losses=[], run=run)
    for m in monitors:
        m.on_start(run)
    state = None
    # The line search assigns every probe to the variables; `good` is the accepted position.
    good = tf.concat([tf.reshape(v, [-1]) for v in variables], 0)
    try:
        while run.step < settings.steps:
            chunk = min(CHUNK, settings.steps - run.step)
            done = 0 if state is None else int(state.num_iterations)
            state = tfp.optimizer.lbfgs_minimize(
                value_and_gradients, initial_position=good if state is None else None,
                previous_optimizer_results=state, max_iterations=done + chunk, tolerance=0.0)
            loss = float(state.objective_value)
            if not tf.math.is_finite(state.objective_value):
                result.stopped = "non-finite"
                result.losses.append(loss)
                break
            good = state.position
            assign(good)
            finished = int(state.num_iterations) - done
            values = {k: float(v) for k, v in terms().items()}
            for _ in range(max(finished, 1)):
                run.step += 1
                result.losses.append(loss)
                for m in monitors:
                    m.on_step(run, loss, values)
                if run.step >= settings.steps:
                    break
            result.step = run.step
            if bool(state.converged) or bool(state.failed) or finished == 0:
                break
    except KeyboardInterrupt:
        result.stopped = "interrupted"
    assign(good)
    for m in monitors:
        m.on_end(run, result)
    return result

"""Perception engines: change a drawing until classifiers see a class, by gradient or random search.

    judges = [classifiers.Classifier("digits")]
    drawing = generators.make("strokes", strokes=32)
    result, spent = perception.draw(drawing, judges, [7], method="gradient", budget=3000, size=48)

Both methods change the same variables against the same objective (classifiers.ensemble) and
stop when every classifier gives its class `threshold` on the untransformed drawing, or when
`budget` classifier evaluations are spent: a random-search candidate costs one per classifier,
a gradient step search.GRADIENT_STEP_COST per classifier and image judged (step_cost). Both start
again from a new random start when the drawing stalls (see draw's `patience`), under the same rule.
"""
import dataclasses
import sys

import numpy as np
import tensorflow as tf

from tfart import classifiers, generators, jobs, monitors, optimize, search, transforms
from tfart.generators import CPPN, FourierCPPN, Strokes
from tfart.optimize import Settings, StopRun
from tfart.settings import PERCEPTION_PATIENCE as PATIENCE, PERCEPTION_RISE as RISE

METHODS = ("gradient", "random_search")
# Adam's learning rate for --method gradient (a generator's class not named here takes 0.05;
# pen strokes take PEN_STROKES' rate, see there).
# On two judges trained in benchmarks/perceive_judges.py (budget 400, 34 runs each), the x, y, r
# CPPN at 0.05 reached p 0.9 in 30 runs (the worst ended at 0.004), at 0.005 in all 34 (worst
# 0.903); the Fourier-CPPN at 0.05 in 33 (worst 0.073), at 0.005 in all 34 (worst 0.907);
# strokes at 0.05 in all 34 (worst 0.902). On four judges (those two, the glyph judge and a 64 px
# RGB [-1, 1] one; 53 runs), both CPPNs at 0.005 reach 0.9 on every class but 8 (CPPN) and 9
# (Fourier-CPPN) of the 26 letters; 0.01 reaches 23 letters but loses a class of another judge.
# At tfart-perceive's budget of 3000, starting stalled drawings again (settings.PERCEPTION_PATIENCE),
# the CPPN reached 23 letters and the Fourier-CPPN 22 of the v2 glyph judge (20 and 19 without);
# the v3 judge, which believes real letters, is harder: 20 and 18 (the CPPN 23 from its start in STARTS).
LEARNING_RATES = {CPPN: 0.005, FourierCPPN: 0.005}
# Pen strokes (the style for letters) by gradient: the learning rate, and the Gaussian blur
# (transforms.blur) whose sigma is this share of the drawing's side (3 px at 48 px): a step judges
# the drawing and, beside it, the drawing so blurred (the mean of the two losses); whether the
# threshold is reached is judged on the drawing itself. A sharp stroke passes the judge's gradient
# on only through the pixels along its edges, so a stroke far from where the letter needs ink is
# not pulled there. Single starts of 6 pen strokes on the glyph judge (48 px, no transforms, 300
# steps, no restarts) that reached p 0.9: sharp at 0.05, 2 of 30 (letters B, G, M, P, W, seeds
# 30-35) and 7 of 28 (C, D, H, N, seeds 40-46); sharp and blurred by 3 px at 0.1, 21 of 30 and
# 14 of 28, in a median of 14 and 28 steps (204 and 69 sharp at 0.05); blurred alone at 0.1, 15 of
# 30 and 16 of 28 (33 and 49 steps), but a judge of light digits on dark (64 px, [-1, 1],
# benchmarks/perceive_judges.py's inverted7, budget 400, 8 pen strokes) then read 2 of its 7 classes
# at p 0.14 and 0.00, which sharp strokes reach; seen sharp and blurred, 8 pen strokes reach its
# classes 0 and 2 at seeds 0-2 (6 of 6). Blurred alone at 0.05, 12 of 30; sharp at 0.1, 11 of 30.
# Not for ink and marker strokes, which stay sharp at 0.05: 32 ink strokes blurred at 0.1 (budget
# 400) lost a class of inverted7 (p 0 at 5 seeds of 5; sharp at 0.05, 5 of 5; the blur alone or the
# rate alone, 1 of 3; sharp and blurred at 0.1, 0 of 3) and two of the RGB [-1, 1] judge (8/10
# against 10/10), for no class gained (digits 10/10 and letters 18/26 either way). Random search is
# never blurred: it has no gradient to spread, and blurred by 3 px it reached 0.9 in 0 of 20 runs
# (B, G, M, P, W, seeds 30-33, budget 3000, patience 150), sharp in 4.
# The patience (draw's, in evaluations; a step counts 6, step_cost) was measured so by
# benchmarks/patience.py: runs replayed from single starts that reached 0.9 at patience 90 (15
# steps), 60, 150, 300: 100%, 100%, 97%, 90% (B, G, M, P, W, seeds 10-15; mean evaluations 241, 179,
# 397, 600) and 100%, 75%, 99%, 95% (C, D, H, N, seeds 16-21; 442, 926, 495, 852). Sharp at lr 0.05
# and 3 a step, with PATIENCES' 150: 59% and 51%. Drawn as the tool draws (benchmarks/patience.py
# --drawn: fresh starts without end, a step counted as the 2.65 measured; no transforms; B C D G H M
# N P U W, seeds 0-3) every run reached 0.9 at 90, 30 and 24, in a median (mean) of 105 (171), 85
# (110) and 74 (105) evaluations. Seen through tfart-perceive's standard transforms, starts climb
# slower: on perceive_judges.py's four judges (--configs pen, budget 400) 30 lost a class of
# inverted7 (p 0.40; it climbs for 27 steps at 90), two of rgb_digits and two letters (6/7, 8/10,
# 15/26 against 7/7, 10/10, 17/26); with no transforms 30 and 90 reach the same (10/10, 6/7, 15/26,
# 10/10). So the wait is 90 (15 steps) through transforms, 30 (5 steps) without ("untransformed").
# Random search on pen strokes without transforms, drawn the same way (patience.py --drawn
# --methods random_search, the same letters and seeds, budget 3000), reached 0.9 in 40% of the runs
# at a wait of 30 candidates, 65% at 60 (median 1826, mean 1936), 57% at PATIENCES' 150 (2506,
# 2207) and 30% at 300: it waits 60 ("untransformed search"); through transforms (paired, two
# evaluations a candidate; not measured drawn) PATIENCES' 150.
PEN_STROKES = {"lr": 0.1, "blur": 1 / 16, "patience": 90, "untransformed": 30, "untransformed search": 60}
# How a drawing starts (generators.make's SMOOTH_START for the rest). A CPPN's weights at init_scale
# 1, not 3: at 3 a drawing opens as a busy colour field with 4-34% of its values saturated (48 px,
# seeds 0-2), where the sigmoid passes the judge's gradient on weakly; at 1, as a nearly flat tint
# (values 0.27-0.79). On the glyph judge (budget 3000, every letter, seeds 0 and 1) the CPPN
# reached p 0.9 in 40 of 52 runs from 3 and in 47 from 1 (docs/benchmarks.md).
STARTS = {"cppn": {"latent_dim": 0, "init_scale": 1.0}, "fourier_cppn": {"latent_dim": 0}}
# draw's patience (classifier evaluations without a rise of RISE before a drawing starts again; 0:
# never) where it was measured, settings.PERCEPTION_PATIENCE elsewhere. Measured on the glyph judge
# (48 px, no transforms, 6 pen strokes) by benchmarks/patience.py: single starts run to 3000
# evaluations (letters B, G, M, P, W, seeds 10-15), then replayed under each patience. A stroke
# start that gradient descent will take to p 0.9 mostly rises at once, one that it will not sits
# near 0.05 for good; a CPPN start climbs, some slowly. Runs that reached 0.9 at 150 (at 600):
# gradient on strokes 59% (55%; median evaluations 868 against 2109; on B-W, C, D, H, N at seeds
# 16-23, 51% against 40%), random search on strokes 59% (53%), gradient on a CPPN 100% (97%,
# mean evaluations 308 against 456); random search on a CPPN, the slowest climber, needs 600
# (67%; at 150 40%). (Pen strokes by gradient, which are seen blurred since, wait PEN_STROKES'.)
PATIENCES = {("gradient", Strokes): 150, ("random_search", Strokes): 150, ("gradient", CPPN): 150}


def patience_of(method, generator, transformed=True):
    """The evaluations draw waits for a rise before starting again by default: PEN_STROKES' for pen
    strokes by gradient, and by either method when the drawing is judged without random transforms
    ("untransformed", "untransformed search"), else PATIENCES', else settings.PERCEPTION_PATIENCE."""
    if pen(generator) and not transformed:
        return PEN_STROKES["untransformed" if method == "gradient" else "untransformed search"]
    if method == "gradient" and pen(generator):
        return PEN_STROKES["patience"]
    return PATIENCES.get((method, type(generator)), PATIENCE)


def pen(generator):
    """Whether `generator` draws pen strokes (PEN_STROKES' rate and blur)."""
    return isinstance(generator, Strokes) and generator.style == "pen"


def learning_rate_of(generator):
    """The gradient's learning rate by default: PEN_STROKES', LEARNING_RATES', or 0.05."""
    return PEN_STROKES["lr"] if pen(generator) else LEARNING_RATES.get(type(generator), 0.05)


def blur_of(method, generator, size):
    """The sigma in pixels of the blurred view that a gradient step judges beside the drawing:
    PEN_STROKES' share of `size` for pen strokes, 0 (none) otherwise and for random search."""
    return PEN_STROKES["blur"] * size if method == "gradient" and pen(generator) else 0.0


def judged(judges, indices, weights=None, transform=None, blur=0.0):
    """The loss both methods lower: classifiers.ensemble, each classifier seeing (through its own
    draw of `transform`) the drawing and, when `blur` > 0, the drawing blurred by a Gaussian of
    `blur` pixels beside it: the mean of the two cross-entropies."""
    both = transforms.beside_blurred(blur) if blur else None
    seen = [view for view in (both, transform) if view is not None]
    return classifiers.ensemble(judges, indices, weights, transforms.compose(*seen) if seen else None)


def step_cost(judges, blur=0.0):
    """The classifier evaluations a gradient step counts: search.GRADIENT_STEP_COST per classifier
    and per image each judges (two when the drawing is seen blurred beside itself, `blur` > 0)."""
    return search.GRADIENT_STEP_COST * len(judges) * (2 if blur else 1)


def restart_seed(seed, attempt):
    """The seed of a drawing's start number `attempt` (0: `seed` itself), drawn from numpy's
    SeedSequence of (seed, attempt), so the runs of two seeds share no start. (Until 2026-12-06 it
    was seed + attempt: seed 0's second start was seed 1's first, and runs at seeds 0, 1, 2 that
    started again were mostly the same run.)"""
    if attempt == 0:
        return seed
    # below 2^30: a generator seeds its parts with seed + k, which stays a 32-bit integer
    return int(np.random.SeedSequence([seed % 2 ** 32, attempt]).generate_state(1)[0] % 2 ** 30)


def start(kind, size, seed=0, **own):
    """The drawing tfart-perceive starts from: generators.make(kind) at size x size with STARTS[kind],
    which `own` overrides."""
    return generators.make(kind, size, size, seed=seed, **{**STARTS.get(kind, {}), **own})


def lowest_probability(judges, indices, generator, size):
    """A function of no arguments: the lowest probability of the target classes that `judges` give
    `generator`'s untransformed drawing, as a float. Compiled once per drawing (a start begins by
    setting the same variables), so Goal's question after every step or kept candidate costs a
    forward pass; asked eagerly it took half of a random search's time (38 ms against 13 for a
    whole candidate; 6 pen strokes on the glyph judge)."""
    @tf.function
    def lowest():
        image = generator.image(size, size)
        return tf.reduce_min(tf.stack([judge.probabilities(image)[0, i] for judge, i in zip(judges, indices)]))
    return lambda: float(lowest())


class Goal(monitors.Monitor):
    """The lowest probability of the target classes on the untransformed drawing (`probe`, see
    lowest_probability), asked after every gradient step (as a loop monitor) or every kept
    candidate (`reached`), so `last` is the drawing's as the run ends: ends a run when it is at
    least `threshold`, or as stalled when it has not risen by RISE within `patience` evaluations
    (0: never) while at least `patience` are left of `left`. A rise is measured from `mark`, the
    probability when it last rose by RISE (the first one asked), so a steady climb in small steps
    is a rise, not a stall."""

    def __init__(self, probe, threshold, patience=0, left=0, per_step=1.0):
        self.probe, self.threshold, self.per_step = probe, threshold, per_step
        self.patience, self.left = patience, left
        self.best = self.last = self.mark = float("-inf")
        self.since, self.stalled = 0, False

    def reached(self, spent):
        return self.observe(self.probe(), spent)

    def observe(self, p, spent):
        """Take p as the drawing's probability after `spent` evaluations: True once it is at least
        the threshold."""
        self.last = p
        if p >= self.mark + RISE:
            self.mark, self.since = p, spent
        self.best = max(self.best, p)
        return p >= self.threshold

    def stale(self, spent):
        # A benchmark's patience and evaluations are steps times a measured cost (2.76, say), where
        # (k + 5) * c - k * c can fall a rounding below 5 * c: compared so, a stall came a step late.
        wait = self.patience * (1 - 1e-9)
        self.stalled = bool(self.patience) and spent - self.since >= wait and self.left - spent >= wait
        return self.stalled

    def on_step(self, run, loss, terms):
        spent = run.step * self.per_step
        if self.reached(spent) or self.stale(spent):
            raise StopRun()


def draw(generator, judges, indices, *, method, budget, size, threshold=0.9, lr=None, weights=None,
         transform=None, outputs=None, seed=0, progress=True, patience=None, blur=None, per_step=None,
         watch=()):
    """Drive `generator` to class indices[i] of judges[i]: (jobs.JobResult, evaluations spent).

    lr: the gradient method's learning rate (None: learning_rate_of(generator)).
    patience: classifier evaluations after which a drawing whose target probability has not
      risen by RISE starts again, by either method, from a new random start (the generator's
      config with the seed restart_seed(seed, 1), then (seed, 2), ...) with the rest of the
      budget, as long as at least `patience` evaluations are left (0: never; None:
      patience_of(method, generator, transformed=`transform` is given)). A gradient step counts
      here as step_cost counts it, whatever `per_step`: gradient descent charged a per_step of its
      own waits as many steps as the tool does (patience / step_cost steps). The drawing kept is
      the one that reached the threshold, else the start that ended highest. The result's step
      counts every start's.
    blur: the sigma in pixels of a Gaussian blur: each classifier sees the drawing and the drawing
      so blurred in the objective the method lowers (judged; 0: the drawing only; None:
      blur_of(method, generator, size)). Reaching the threshold is judged on the drawing itself.
    per_step: the evaluations a gradient step counts against `budget` (None: step_cost(judges,
      blur); a benchmark passes the cost it measured).
    watch: more monitors of the gradient method's loop (a course's recorder, say).
    """
    lr = learning_rate_of(generator) if lr is None else lr
    outputs = outputs or jobs.Outputs(progress=progress)
    blur = blur_of(method, generator, size) if blur is None else blur
    objective = judged(judges, indices, weights, transform, blur)
    counted = step_cost(judges, blur)
    per_step = counted if per_step is None else per_step
    patience = patience_of(method, generator, transform is not None) if patience is None else patience
    if method == "gradient" and per_step != counted:  # as many steps as at the rule's count
        patience = patience / counted * per_step
    quiet = dataclasses.replace(outputs, png=None, timelapse=None, export=None, upscale=0)
    timelapse = monitors.Timelapse(outputs.timelapse, outputs.timelapse_every, grey=outputs.grey) \
        if method == "gradient" and outputs.timelapse else None
    watch = ([timelapse] if timelapse else []) + list(watch)
    spent, steps, losses, best, attempt = 0, 0, [], None, 0
    probe = lowest_probability(judges, indices, generator, size)
    # compiled once per drawing (a start sets the same variables): not traced again at every start
    functions = search.compiled(generator, objective, None, size, size) if method == "random_search" else None
    compiled = optimize.compiled_step(generator, objective, None, size, size, Settings(lr=lr)) \
        if method == "gradient" else None
    while True:
        left = budget - spent
        if method == "gradient":
            goal = Goal(probe, threshold, patience, left, per_step)
            compiled.restart()
            result = jobs.run(generator, objective, None, height=size, width=size,
                              settings=Settings(steps=max(1, int(left // per_step)), lr=lr), outputs=quiet,
                              watch=([goal] if threshold < 1 else []) + watch, compiled=compiled)
            stopped, used, step, history = result.stopped, result.step * per_step, result.step, result.losses
        else:
            goal = Goal(probe, threshold, patience // len(judges), left // len(judges))
            goal.reached(0)  # the start's probability, which a stall is measured from
            found = search.random_search(generator, objective, None, size, size, budget=max(1, left // len(judges)),
                                         seed=restart_seed(seed, attempt), progress=outputs.progress,
                                         paired=transform is not None, functions=functions,
                                         stop=goal.reached if threshold < 1 else None,
                                         stalled=goal.stale if threshold < 1 else None)
            stopped, used, step, history = found.stopped, found.evaluations * len(judges), found.evaluations, \
                found.history
        spent, steps, losses = spent + used, steps + step, losses + list(history)
        if not goal.stalled or stopped == "interrupted":  # Ctrl-C as a start stalled ends the drawing too
            break
        if best is None or goal.last > best[0]:
            best = (goal.last, generator.get_weights())
        attempt += 1
        config = {**generator.get_config(), "seed": restart_seed(generator.seed, attempt)}
        if outputs.progress:
            print(f"stalled at p {goal.best:.3f} for {patience:g} evaluations: starting again from a new random "
                  f"start (seed {config['seed']}), {budget - spent:g} evaluations left", file=sys.stderr, flush=True)
        fresh = type(generator).from_config(config)
        fresh.image(8, 8)  # built
        generator.set_weights(fresh.get_weights())
    if stopped == "done" and best is not None and best[0] > goal.last:
        generator.set_weights(best[1])
    written = jobs.write(generator, size, size, outputs, finished=stopped in jobs.FINISHED)
    return jobs.JobResult(stopped, "optimize", steps, losses, written), spent

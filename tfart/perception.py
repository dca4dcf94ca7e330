"""Perception engines: change a drawing until classifiers see a class, by gradient or random search.

    judges = [classifiers.Classifier("digits")]
    drawing = generators.make("strokes", strokes=32)
    result, spent = perception.draw(drawing, judges, [7], method="gradient", budget=3000, size=48)

Both methods change the same variables against the same objective (classifiers.ensemble) and
stop when every classifier gives its class `threshold` on the untransformed drawing, or when
`budget` classifier evaluations are spent: a random-search candidate costs one per classifier,
a gradient step search.GRADIENT_STEP_COST per classifier.
"""
from tfart import classifiers, jobs, search
from tfart.generators import CPPN, FourierCPPN
from tfart.optimize import Settings

METHODS = ("gradient", "random_search")
# Adam's learning rate for --method gradient (a generator's class not named here takes 0.05).
# On two judges trained in benchmarks/perceive_judges.py (budget 400, 34 runs each), the x, y, r
# CPPN at 0.05 reached p 0.9 in 30 runs (the worst ended at 0.004), at 0.005 in all 34 (worst
# 0.903); the Fourier-CPPN at 0.05 in 33 (worst 0.073), at 0.005 in all 34 (worst 0.907);
# strokes at 0.05 in all 34 (worst 0.902). On four judges (those two, the glyph judge and a 64 px
# RGB [-1, 1] one; 53 runs), both CPPNs at 0.005 reach 0.9 on every class but 8 (CPPN) and 9
# (Fourier-CPPN) of the 26 letters; 0.01 reaches 23 letters but loses a class of another judge.
LEARNING_RATES = {CPPN: 0.005, FourierCPPN: 0.005}


def draw(generator, judges, indices, *, method, budget, size, threshold=0.9, lr=None, weights=None,
         transform=None, outputs=None, seed=0, progress=True):
    """Drive `generator` to class indices[i] of judges[i]: (jobs.JobResult, evaluations spent).
    lr: the gradient method's learning rate (None: LEARNING_RATES for the generator's class)."""
    lr = LEARNING_RATES.get(type(generator), 0.05) if lr is None else lr
    outputs = outputs or jobs.Outputs(progress=progress)
    objective = classifiers.ensemble(judges, indices, weights, transform)
    goal = classifiers.Threshold(judges, indices, threshold, generator, size, size)
    if method == "gradient":
        per_step = search.GRADIENT_STEP_COST * len(judges)
        result = jobs.run(generator, objective, None, height=size, width=size,
                          settings=Settings(steps=max(1, int(budget // per_step)), lr=lr), outputs=outputs,
                          watch=[goal] if threshold < 1 else [])
        return result, result.step * per_step
    found = search.random_search(generator, objective, None, size, size, budget=max(1, budget // len(judges)),
                                 seed=seed, progress=outputs.progress, paired=transform is not None,
                                 stop=goal.reached if threshold < 1 else None)
    written = jobs.write(generator, size, size, outputs, finished=found.stopped in jobs.FINISHED)
    return jobs.JobResult(found.stopped, "optimize", found.evaluations, found.history, written), \
        found.evaluations * len(judges)

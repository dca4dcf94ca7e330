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
from tfart.optimize import Settings

METHODS = ("gradient", "random_search")


def draw(generator, judges, indices, *, method, budget, size, threshold=0.9, lr=0.05, weights=None,
         transform=None, outputs=None, seed=0, progress=True):
    """Drive `generator` to class indices[i] of judges[i]: (jobs.JobResult, evaluations spent)."""
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

"""Style-transfer step time with and without XLA (`jit_compile`) for pixel, FFT and CPPN at 256 px.

    python benchmarks/xla.py                 # about 5 minutes on 2 CPU cores
    python benchmarks/xla.py --transforms    # with the standard random transforms in the step
    python benchmarks/xla.py --quick         # 64 px, few steps: a smoke run

For each parameterization it builds the same VGG19 style + content step twice, plain and
XLA-compiled, times the first call of each (tracing and compiling), then runs the two in
alternation and prints the median step time of each and their ratio. VGG19 has random weights
here (the time of a step does not depend on them). The last line is the geometric mean of the
xla/plain ratios.
"""
import argparse
import time

import numpy as np

from tfart import backbones, generators, objectives, optimize, transforms  # first: TensorFlow quietly

import keras  # noqa: E402  (isort: skip)

STYLE = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
CONTENT = ["block4_conv2"]


def build_step(name, size, backbone, objective, jit, transform):
    """A fresh generator and its compiled step; returns (step_fn, seconds of its first call)."""
    generator = generators.make(name, size, size, seed=0)
    settings = optimize.Settings(lr=0.02, jit_compile=jit)
    variables = generator.variables_to_train("weights")
    optimizer = optimize.make_optimizer(settings)
    optimizer.build(variables)
    step = optimize.make_step(generator, objective, backbone, size, size, variables, optimizer,
                              transform, settings)
    start = time.perf_counter()
    float(step()[0])
    return step, time.perf_counter() - start


def timed(step):
    start = time.perf_counter()
    float(step()[0])  # reading the loss waits for the step to finish
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10, help="timed steps of each variant")
    parser.add_argument("--transforms", action="store_true", help="random transforms in the step")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.size, args.steps = 64, 3
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    style_image = rng.uniform(size=(1, args.size, args.size, 3)).astype("float32")
    content_image = rng.uniform(size=(1, args.size, args.size, 3)).astype("float32")
    backbone = backbones.Backbone("vgg19", STYLE + CONTENT, weights=None)
    objective = (1e6 * objectives.style(backbone, [style_image], STYLE)
                 + objectives.content(backbone, content_image, CONTENT))
    transform = transforms.standard(args.size) if args.transforms else None

    print(f"{args.size}x{args.size}, VGG19 style + content, {args.steps} alternating steps each"
          f"{', random transforms' if transform else ''}")
    print(f"{'parameterization':<18}{'plain ms':>10}{'xla ms':>10}{'xla/plain':>11}"
          f"{'first plain s':>15}{'first xla s':>13}")
    ratios = []
    for name in ("pixel", "fft", "cppn"):
        plain, plain_first = build_step(name, args.size, backbone, objective, False, transform)
        xla, xla_first = build_step(name, args.size, backbone, objective, True, transform)
        times = {"plain": [], "xla": []}
        for _ in range(args.steps):
            times["plain"].append(timed(plain))
            times["xla"].append(timed(xla))
        p, x = np.median(times["plain"]) * 1e3, np.median(times["xla"]) * 1e3
        ratios.append(x / p)
        print(f"{name:<18}{p:>10.1f}{x:>10.1f}{x / p:>11.3f}{plain_first:>15.1f}{xla_first:>13.1f}")
    print(f"xla/plain step time, geometric mean over pixel, fft, cppn: {np.exp(np.mean(np.log(ratios))):.3f}")


if __name__ == "__main__":
    main()

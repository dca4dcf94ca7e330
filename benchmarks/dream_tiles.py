"""Peak memory and time of a DeepDream step on a large photograph: tiled against untiled.

    pip install -e ".[bench]"
    python benchmarks/dream_tiles.py [--size 2048] [--tile 512] [--untiled 512,1024,2048]
    python benchmarks/dream_tiles.py --eager --size 512 --tile 128

A DeepDream step (tfart-dream --mode dream's objective at the full-size octave, VGG16's
block4_conv3 with the weights of --weights hed) on skimage:astronaut resized to S x S:
- tiled: tfart.dream.tiled, the backbone sees one --tile x --tile tile at a time, forward and
  backward (the path tfart-dream takes);
- untiled: the plain loop, the backbone sees the whole image at once.
Each configuration runs in a child process of its own, one after another, because peak memory
(the child's peak resident set, ru_maxrss) is a property of a process. Seconds per step are the
median of the steps after the first (which traces the graph). The untiled path runs at each size
of --untiled until one fails (a child killed for memory counts as failed).
--eager compares the tiled step run eagerly (tf.config.run_functions_eagerly, as a notebook's
loop may) with the compiled one instead: the tiles must not outlive their turn in either.
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
LAYER = "block4_conv3"


def child(size, tile, steps, eager=0):
    """Run `steps` DeepDream steps in this process; print {rss_mb, base_mb, seconds} as JSON."""
    import resource

    import numpy as np
    import tensorflow as tf

    tf.config.run_functions_eagerly(bool(eager))
    from tfart import dream, generators, imaging, monitors, objectives, optimize
    from tfart.backbones import Backbone

    backbone = Backbone("vgg16", [LAYER], weights="hed")
    photo = imaging.load_image("skimage:astronaut", size, "photo")
    generator = generators.PixelImage(size, size)
    generator.assign_image(photo)
    objective = objectives.layer(LAYER)
    if tile:
        objective, backbone_for_loop = dream.tiled(objective, backbone, tile), None
    else:
        backbone_for_loop = backbone
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    history = monitors.History()
    start = time.perf_counter()
    optimize.optimize(generator, objective, backbone_for_loop, size, size,
                      optimize.Settings(steps=steps, lr=0.01), monitors=[history])
    times = np.diff([start] + history.times)
    tf.keras.backend.clear_session()
    print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "base_mb": base, "seconds": float(np.median(times[1:]))}))


def measure(size, tile, steps, eager=False):
    proc = subprocess.run([sys.executable, __file__, "--child", str(size), str(tile), str(steps), str(int(eager))],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--untiled", default="512,1024,2048")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--eager", action="store_true", help="tiled, run eagerly against compiled")
    parser.add_argument("--child", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    if args.size < 64 or args.tile < 64 or args.steps < 2:
        raise SystemExit("error: --size and --tile must be at least 64, --steps at least 2")
    print(f"DeepDream step, VGG16 {LAYER} (--weights hed), skimage:astronaut at S x S, CPU; "
          f"{args.steps} steps per run, seconds = median after the first")
    print(f"{'path':<22}{'size':>6}{'peak RSS MB':>13}{'over model MB':>15}{'s/step':>9}")
    if args.eager:
        return compare_eager(args)
    tiled = measure(args.size, args.tile, args.steps)
    rows = [(f"tiled ({args.tile} px)", args.size, tiled)]
    largest = None
    for size in [int(s) for s in args.untiled.split(",")]:
        result = measure(size, 0, args.steps)
        rows.append(("untiled", size, result))
        if result is None:
            break
        largest = (size, result)
    for name, size, r in rows:
        if r is None:
            print(f"{name:<22}{size:>6}{'failed':>13}")
        else:
            print(f"{name:<22}{size:>6}{r['rss_mb']:>13.0f}{r['rss_mb'] - r['base_mb']:>15.0f}{r['seconds']:>9.2f}",
                  flush=True)
    if tiled is None:
        raise SystemExit("error: the tiled run failed")
    if largest:
        size, r = largest
        same = size == args.size
        print(f"tiled {args.size} px / untiled {size} px: peak RSS x{tiled['rss_mb'] / r['rss_mb']:.2f}, "
              f"memory over the model x{(tiled['rss_mb'] - tiled['base_mb']) / (r['rss_mb'] - r['base_mb']):.2f}, "
              f"time per step x{tiled['seconds'] / r['seconds']:.2f}" + ("" if same else " (different sizes)"))


def compare_eager(args):
    """The tiled step compiled and eager, side by side: memory over the model and time."""
    runs = {mode: measure(args.size, args.tile, args.steps, eager=mode == "eager") for mode in ("compiled", "eager")}
    for mode, r in runs.items():
        if r is None:
            raise SystemExit(f"error: the {mode} run failed")
        print(f"{f'tiled {args.tile}, {mode}':<22}{args.size:>6}{r['rss_mb']:>13.0f}"
              f"{r['rss_mb'] - r['base_mb']:>15.0f}{r['seconds']:>9.2f}", flush=True)
    eager, compiled = runs["eager"], runs["compiled"]
    print(f"eager / compiled: memory over the model x{(eager['rss_mb'] - eager['base_mb']) / (compiled['rss_mb'] - compiled['base_mb']):.2f}, "
          f"time per step x{eager['seconds'] / compiled['seconds']:.2f}")


if __name__ == "__main__":
    main()

"""Render speed, memory and detail of the CPPN and the Fourier-CPPN at their defaults.

    python benchmarks/render.py            # about 5 minutes on 2 CPU cores
    python benchmarks/render.py --quick    # smaller sizes, for a smoke run
    python benchmarks/render.py --models out/params3/hashgrid.keras,out/params3/hashgrid+coarse.keras

Prints, for each generator: megapixels per second at 4096x4096, the peak resident memory of a
whole 8192x8192 render written to PNG (in a fresh process, TensorFlow included), the speed
ratio of one-shot vs tiled rendering at 1024x1024 (> 1: one-shot is faster), and the share of
spectral energy above half Nyquist in random renders (mean over seeds, 256x256).

--models renders trained generators instead (a .keras file or SavedModel each, e.g. from
benchmarks/parameterizations.py --save) at --size (8192) in a fresh process each: the seconds
and peak memory of the whole render written to PNG, and --crop px crops at 100% (at the
centre and at a quarter of the way in) written to --crops for the eye. 'creases' measures what
the eye looks for in a grid generator's crop: the mean |second difference| of the grey level
across the lines where its --cell px cells meet (a hash grid's finest cells: 32 px when a
256 px canvas is rendered at 8192) over that everywhere else, for the two crops. About 1 when
nothing marks the cell edges; bilinear cells crease there, so a visible grid reads 2 and more.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from tfart import rendering  # noqa: E402
from tfart.generators import CPPN, FourierCPPN  # noqa: E402
from tfart.spectrum import high_frequency_share  # noqa: E402

GENERATORS = {"cppn": CPPN, "fourier_cppn": FourierCPPN}

# VmHWM (peak resident set, KiB) and not ru_maxrss, which Linux carries over from the forking parent.
PEAK_CHILD = """
import os, sys, tempfile
os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'
from tfart import generators, imaging, rendering
g = generators.make(sys.argv[1])
image = rendering.render(g, {size}, {size}, bits=8)[0]
with tempfile.TemporaryDirectory() as d:
    imaging.save_png(os.path.join(d, 'big.png'), image)
print(next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM')))
"""


# A trained generator rendered whole to PNG, with its wall time, and 100% crops of the render.
MODEL_CHILD = """
import os, sys, time
os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'
from tfart import export, imaging, rendering
model, size, crop, stem = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
g = export.load_any(model)
start = time.perf_counter()
image = rendering.render(g, size, size, bits=8)[0]
imaging.save_png(stem + '.png', image)
seconds = time.perf_counter() - start
for name, at in (('centre', (size - crop) // 2), ('quarter', size // 4)):
    imaging.save_png(f'{stem}_{name}.png', image[at:at + crop, at:at + crop])
peak = next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM'))
print(seconds, peak)
"""


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_mib(name, size):
    out = subprocess.run([sys.executable, "-c", PEAK_CHILD.format(size=size), name],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024.0


def creases(image, cell, phase=0):
    """Mean |second difference| across the lines every `cell` px (from the image's first row and
    column, moved by `phase` px) over that elsewhere, along x and y: [H, W, 3] with H and W cut on
    cell lines."""
    grey = np.asarray(image, np.float64).mean(-1)
    ratios = []
    for axis in (0, 1):
        curvature = np.abs(np.diff(grey, 2, axis=axis)).mean(axis=1 - axis)  # [k] is centred on k + 1
        on_line = np.isin((np.arange(curvature.size) + 1 - phase) % cell, (0, cell - 1))
        ratios.append(curvature[on_line].mean() / curvature[~on_line].mean())
    return float(np.mean(ratios))


def staggered(model):
    """Whether a .keras hash grid shifts its levels by half a cell (HashGrid(stagger=True))."""
    import json
    import zipfile
    if not model.endswith(".keras"):
        return False
    with zipfile.ZipFile(model) as saved:
        return bool(json.loads(saved.read("config.json")).get("config", {}).get("stagger"))


def render_models(models, size, crop, folder, cell):
    """The --models table: one fresh process per model, so peak memory is its own."""
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    print(f"{'model':<44}{f'seconds @{size}':>16}{'peak MiB':>10}{f'creases @{cell}':>20}  crops")
    for model in models:
        stem = os.path.join(folder, os.path.splitext(os.path.basename(model.rstrip("/")))[0] + f"_{size}")
        out = subprocess.run([sys.executable, "-c", MODEL_CHILD, model, str(size), str(crop), stem],
                             capture_output=True, text=True)
        if out.returncode:
            why = out.stderr.strip().splitlines()[-1:] or [f"exit status {out.returncode} (out of memory?)"]
            raise SystemExit(f"error: {model}: {why[0]}")
        seconds, peak = out.stdout.split()
        crops = [f"{stem}_{name}.png" for name in ("centre", "quarter")]
        phase = cell // 2 if staggered(model) else 0  # a staggered grid's finest edges sit half a cell on
        lines = " / ".join(f"{creases(Image.open(c), cell, phase):.2f}" for c in crops)
        print(f"{model:<44}{float(seconds):>16.1f}{int(peak) / 1024:>10.0f}{lines:>20}  {', '.join(crops)}",
              flush=True)
        os.remove(stem + ".png")  # 200 MB; the crops are what the eye needs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--models", default=None, help="comma-separated trained generators to render instead")
    parser.add_argument("--size", type=int, default=8192, help="--models: the render's side")
    parser.add_argument("--crop", type=int, default=512, help="--models: the crops' side")
    parser.add_argument("--crops", default="out/benchmarks/render", help="--models: folder for the crops")
    parser.add_argument("--cell", type=int, default=32, help="--models: px per finest cell in the render")
    args = parser.parse_args()
    if args.models:
        return render_models(args.models.split(","), args.size, args.crop, args.crops, args.cell)
    speed_size, peak_size, ratio_size, repeats = (512, 1024, 256, 2) if args.quick else (4096, 8192, 1024, 3)

    rows = {}
    for name, cls in GENERATORS.items():
        g = cls(seed=0)
        rendering.render(g, 64, 64, bits=8)  # trace once
        seconds = timed(lambda: rendering.render(g, speed_size, speed_size, bits=8), 1 if not args.quick else 2)
        one_shot = tiled = None
        one_times, tiled_times = [], []
        for _ in range(repeats):  # interleaved, so drift on a noisy machine hits both alike
            one_times.append(timed(lambda: rendering.render(g, ratio_size, ratio_size, tile=ratio_size), 1))
            tiled_times.append(timed(lambda: rendering.render(g, ratio_size, ratio_size), 1))
        one_shot, tiled = statistics.median(one_times), statistics.median(tiled_times)
        share = np.mean([high_frequency_share(cls(seed=s).image(256, 256)[0].numpy()) for s in range(8)])
        rows[name] = dict(mps=speed_size ** 2 / seconds / 1e6, ratio=tiled / one_shot, share=share)
    for name in GENERATORS:
        rows[name]["peak"] = peak_memory_mib(name, peak_size)

    print(f"{'generator':<14}{f'MP/s @{speed_size}':>14}{f'peak MiB @{peak_size}':>18}"
          f"{f'one-shot/tiled speed @{ratio_size}':>32}{'HF share':>10}")
    for name, r in rows.items():
        print(f"{name:<14}{r['mps']:>14.2f}{r['peak']:>18.0f}{r['ratio']:>32.2f}{r['share']:>10.4f}")
    c, f = rows["cppn"], rows["fourier_cppn"]
    print(f"fourier_cppn/cppn: speed {f['mps'] / c['mps']:.2f}x, HF share {f['share'] / max(c['share'], 1e-12):.1f}x")


if __name__ == "__main__":
    main()

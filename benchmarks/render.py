"""Render speed, memory and detail of the CPPN and the Fourier-CPPN at their defaults.

    python benchmarks/render.py            # about 5 minutes on 2 CPU cores
    python benchmarks/render.py --quick    # smaller sizes, for a smoke run

Prints, for each generator: megapixels per second at 4096x4096, the peak resident memory of a
whole 8192x8192 render written to PNG (in a fresh process, TensorFlow included), the speed
ratio of one-shot vs tiled rendering at 1024x1024 (> 1: one-shot is faster), and the share of
spectral energy above half Nyquist in random renders (mean over seeds, 256x256).
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args()
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

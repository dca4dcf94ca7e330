"""Fit a real photograph with the coordinate networks at a similar parameter count.

    pip install -e .[bench]        # scikit-image ships the photograph
    python benchmarks/fit.py [--size 120] [--steps 1000] [--photo astronaut] [--only cppn,hashgrid]

The CPPN (Ha's x, y, r inputs, tanh), the CPPN with Gaussian Fourier features (Tancik et al.)
at one bandwidth and at several (multi-scale), SIREN, the Fourier-CPPN (Tesfaldet et al.) with
its integer frequency grid and with random frequencies, and the multi-resolution hash grid
(Muller et al.) each fit scikit-image's photograph with the same Adam step budget and seed, at
about the same number of parameters (hidden widths are chosen to match the Fourier-CPPN's
count). All take --lr except the hash grid, which trains at HASH_LR (Instant-NGP's rate; at
1e-3 its tables barely move in 1000 steps). A second Fourier-CPPN row weights all frequencies
equally (detail=1, decay=0: the paper's plain form) instead of tfart's 0.1/|f|.
Prints PSNR, seconds per step (after the first, compiled, step), the high-frequency energy share
(the photo's own share for reference) and grid peakiness: power at the 10-pixel grid's harmonics
over that of their neighbouring frequencies; well above the photo's value means the grid period
shows as a tiling artefact. Writes the photo and the fits side by side to --sheet.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from tfart import generators, imaging, monitors, objectives, optimize  # noqa: E402
from tfart.generators.cppn import GAIN, INIT_SCALE  # noqa: E402
from tfart.spectrum import high_frequency_share  # noqa: E402

DEPTH = 4
OLD = dict(coord_scale=2.0)  # the CPPN's defaults when these results were taken (docs/benchmarks.md)
HASH_LR = 1e-2


def candidates(size):
    return {
        "cppn": lambda h: generators.CPPN(depth=DEPTH, hidden=h, latent_dim=0, init_scale=1.0, seed=0, **OLD),
        "fourier_features": lambda h: generators.CPPN(depth=DEPTH, hidden=h, latent_dim=0, encoder="fourier",
                                                      sigma=6.0, features=64, activation="relu",
                                                      init_scale=1.4 / GAIN["relu"], seed=0),
        "fourier_features_multiscale": lambda h: generators.CPPN(
            depth=DEPTH, hidden=h, latent_dim=0, encoder="fourier", sigma=[2.0, 6.0, 18.0], features=64,
            activation="relu", init_scale=1.4 / GAIN["relu"], seed=0),
        "siren": lambda h: generators.CPPN(depth=DEPTH, hidden=h, latent_dim=0, encoder="siren",
                                           activation="sin", w0=30.0, init_scale=INIT_SCALE, seed=0),
        "fourier_cppn": lambda h: generators.FourierCPPN(depth=DEPTH, hidden=h, latent_dim=0,
                                                         init_scale=1.0, reference_size=size, seed=0, **OLD),
        "fourier_cppn_equal": lambda h: generators.FourierCPPN(
            depth=DEPTH, hidden=h, latent_dim=0, init_scale=1.0, reference_size=size, detail=1.0,
            decay=0.0, seed=0, **OLD),
        "fourier_cppn_random": lambda h: generators.FourierCPPN(
            depth=DEPTH, hidden=h, latent_dim=0, init_scale=1.0, reference_size=size, frequencies="random",
            seed=0, **OLD),
        # 8 levels of 4 features from 4 to `size` cells, tables of at most 2^10 vectors.
        "hashgrid": lambda h: generators.HashGrid(levels=8, log2_table=10, level_features=4, coarsest=4,
                                                  finest=size, hidden=h, depth=2, latent_dim=0, seed=0),
    }


def count(g):
    return int(sum(np.prod(v.shape) for v in g.trainable_variables))


def matched(make, target):
    """The hidden width whose parameter count is closest to target."""
    best = min(range(8, 257, 2), key=lambda h: abs(_count_for(make, h) - target))
    return make(best)


_COUNTS = {}


def _count_for(make, h):
    key = (id(make), h)
    if key not in _COUNTS:
        _COUNTS[key] = count(make(h))
    return _COUNTS[key]


def psnr(a, b):
    return float(10 * np.log10(1.0 / np.mean((np.asarray(a, np.float64) - b) ** 2)))


def grid_peakiness(image, period=10):
    """Mean spectral power at the grid harmonics (k/period, l/period cycles per pixel, k, l != 0) over the
    mean power of their 8 neighbouring frequencies: about 1 for a smooth spectrum, >> 1 when the
    picture repeats every `period` pixels. The image side should be a multiple of `period`."""
    image = np.asarray(image, np.float64) - np.mean(image, axis=(0, 1))
    power = (np.abs(np.fft.fft2(image, axes=(0, 1))) ** 2).sum(-1)
    h, w = power.shape
    lattice = np.zeros_like(power, bool)
    # Off-axis harmonics only: the axes carry every photograph's edge-discontinuity cross.
    lattice[np.ix_([k * h // period for k in range(1, period)], [k * w // period for k in range(1, period)])] = True
    around = np.zeros_like(lattice)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            around |= np.roll(lattice, (dy, dx), axis=(0, 1))
    around &= ~lattice
    return float(power[lattice].mean() / power[around].mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=120, help="a multiple of 10: exact grid bins")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--photo", default="astronaut")
    parser.add_argument("--sheet", default="out/benchmarks/fit.png")
    parser.add_argument("--only", default=None, help="comma-separated rows (default: all)")
    args = parser.parse_args()
    photo = imaging.load_image(f"skimage:{args.photo}", args.size, "--photo")
    # A centred square crop, so every network fits the same canvas.
    h, w = photo.shape[1:3]
    side = min(h, w)
    photo = photo[:, (h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    size = side
    makers = candidates(size)
    target_count = count(makers["fourier_cppn"](32))
    rows, fits = [], [photo[0]]
    names = args.only.split(",") if args.only else list(makers)
    unknown = [n for n in names if n not in makers]
    if unknown:
        raise SystemExit(f"error: --only: unknown rows {', '.join(unknown)}; choose from {', '.join(makers)}")
    for name in names:
        make = makers[name]
        g = make(32) if name.startswith("fourier_cppn") else matched(make, target_count)
        lr = HASH_LR if name == "hashgrid" else args.lr
        history = monitors.History()
        result = optimize.optimize(g, objectives.reconstruction(photo), None, size, size,
                                   optimize.Settings(steps=args.steps, lr=lr), monitors=[history])
        per_step = (history.times[-1] - history.times[0]) / max(1, len(history.times) - 1)
        image = g.image(size, size)[0].numpy()
        fits.append(image)
        rows.append((name, count(g), g.hidden, lr, psnr(image, photo[0]), per_step, high_frequency_share(image),
                     grid_peakiness(image), result.stopped))
    imaging.save_png(args.sheet, imaging.contact_sheet(fits, columns=len(fits)))
    print(f"photo skimage:{args.photo} {size}x{size}, {args.steps} Adam steps; the photo's "
          f"HF share {high_frequency_share(photo[0]):.4f}, grid peaks {grid_peakiness(photo[0]):.2f}; "
          f"sheet (photo, then the fits in row order) -> {args.sheet}")
    print(f"{'network':<29}{'params':>8}{'hidden':>8}{'lr':>7}{'PSNR dB':>9}{'s/step':>8}{'HF share':>10}"
          f"{'grid peaks':>12}")
    for name, params, hidden, lr, p, per_step, hf, grid, stopped in rows:
        print(f"{name:<29}{params:>8}{hidden:>8}{lr:>7g}{p:>9.2f}{per_step:>8.4f}{hf:>10.4f}{grid:>12.2f}"
              + ("" if stopped == "done" else f"  ({stopped})"))


if __name__ == "__main__":
    main()

"""How crisp and colourful random CPPNs look, next to David Ha's classic CPPN recipe.

    python benchmarks/cppn_look.py                      # the table, about a minute on 2 CPU cores
    python benchmarks/cppn_look.py --sheets /tmp/look   # also a contact sheet of the seeds per setting

For seeds 0-15 at 256x256 (8-bit colour) it prints, per setting, the mean over seeds of
  edge       mean absolute difference between horizontally and vertically neighbouring pixels,
             over all channels, on the 0-255 scale: how much sharp structure there is;
  colour std standard deviation over the pixels of each channel, averaged over R, G, B (0-255):
             how much contrast and colour there is.
'ha' is David Ha's classic recipe in plain numpy, as in his cppn-tensorflow: x, y in [-10, 10],
r = sqrt(x^2 + y^2) and 10 z (z ~ U(-1, 1), 8 dims) through a tanh input layer of 32, three tanh
layers of 32 and a sigmoid RGB layer, every weight and bias N(0, 1). The other rows are tfart
CPPNs, `CPPN(seed=s, **SETTINGS[name])`. Pixel noise scores a high edge too: look at the sheets.
The last line is the ratio of `--ratio` (the CPPN's current defaults unless told) to Ha's.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from tfart import imaging  # noqa: E402
from tfart.generators import CPPN, FourierCPPN  # noqa: E402
from tfart.rendering import render  # noqa: E402

# Keyword arguments of CPPN (or FourierCPPN with generator="fourier_cppn") for each row.
BEFORE = dict(depth=6, hidden=32, init_scale=3.0, coord_scale=2.0, z_scale=1.0)  # the defaults until 0.2
SETTINGS = {
    "defaults": {},  # whatever CPPN() does now
    "defaults, mix": dict(activation="mix"),
    "defaults, periodic": dict(encoder="periodic", activation="sin,tanh", init_scale=4.5),
    "defaults, fourier_cppn": dict(generator="fourier_cppn"),
    "before": BEFORE,
    "before, mix": dict(BEFORE, activation="mix"),
}


def edge(image):
    """Mean |difference| of horizontally and vertically neighbouring pixels of a uint8 [H, W, 3]."""
    image = image.astype(np.float64)
    dx = np.abs(np.diff(image, axis=1)).ravel()
    dy = np.abs(np.diff(image, axis=0)).ravel()
    return np.concatenate([dx, dy]).mean()


def colour_std(image):
    """Standard deviation over the pixels of each channel of a uint8 [H, W, 3], averaged over channels."""
    return image.reshape(-1, 3).astype(np.float64).std(axis=0).mean()


def ha_cppn(seed, size=256, latent_dim=8, hidden=32, layers=3, scale=10.0):
    """David Ha's classic random CPPN in numpy: a uint8 [size, size, 3] image."""
    rng = np.random.default_rng(seed)
    z = rng.uniform(-1.0, 1.0, latent_dim)
    t = np.linspace(-scale, scale, size)
    y, x = np.meshgrid(t, t, indexing="ij")
    r = np.sqrt(x * x + y * y)
    net = np.concatenate([np.stack([x, y, r], -1), np.broadcast_to(scale * z, (size, size, latent_dim))], -1)
    for _ in range(1 + layers):  # the input layer, then `layers` hidden ones
        net = np.tanh(net @ rng.normal(size=(net.shape[-1], hidden)) + rng.normal(size=hidden))
    rgb = 1.0 / (1.0 + np.exp(-(net @ rng.normal(size=(hidden, 3)) + rng.normal(size=3))))
    return np.rint(rgb * 255).astype(np.uint8)


def tfart_cppn(seed, size=256, generator="cppn", **kwargs):
    """A tfart CPPN (or Fourier-CPPN) with its own seeded z, as a uint8 [size, size, 3] image."""
    if generator == "fourier_cppn":
        return render(FourierCPPN(seed=seed, reference_size=size, **kwargs), size, size, bits=8)[0]
    return render(CPPN(seed=seed, **kwargs), size, size, bits=8)[0]


def measure(draw, seeds, sheet=None):
    """(mean edge, mean colour std) over seeds of draw(seed); writes a contact sheet if asked."""
    images = [draw(s) for s in seeds]
    if sheet:
        imaging.save_png(sheet, imaging.contact_sheet(images))
    return np.mean([edge(i) for i in images]), np.mean([colour_std(i) for i in images])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16, help="seeds 0..N-1")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--only", nargs="*", help="names from SETTINGS (all by default)")
    parser.add_argument("--ratio", default="defaults", help="the setting compared with Ha's last")
    parser.add_argument("--sheets", help="folder for a contact sheet per setting (e.g. /tmp/look)")
    args = parser.parse_args()
    seeds = range(args.seeds)
    names = args.only or list(SETTINGS)
    if args.ratio not in names:
        names.append(args.ratio)

    def sheet(name):
        return args.sheets and os.path.join(args.sheets, name.replace(", ", "_") + ".png")

    results = {"ha": measure(lambda s: ha_cppn(s, args.size), seeds, sheet("ha"))}
    for name in names:
        results[name] = measure(lambda s: tfart_cppn(s, args.size, **SETTINGS[name]), seeds, sheet(name))
    print(f"{'setting':<24}{'edge':>8}{'colour std':>12}")
    for name, (e, c) in results.items():
        print(f"{name:<24}{e:>8.2f}{c:>12.1f}")
    (e, c), (ha_e, ha_c) = results[args.ratio], results["ha"]
    print(f"{args.ratio}/ha: edge {e / ha_e:.2f}, colour std {c / ha_c:.2f}")


if __name__ == "__main__":
    main()

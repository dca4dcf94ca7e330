"""What the parameterization does to a feature visualization, measured with trained features.

    pip install -e ".[bench]"
    python benchmarks/featurevis.py [--size 128] [--steps 160] [--layers block3_conv3_pre_relu,...]
    python benchmarks/featurevis.py --part alignment [--alignments 0,1,10] [--frames 8]

For 8 fixed channels of each layer (before the ReLU, as Lucid visualizes) of the trained VGG16 of `--weights hed`, each parameterization
(pixel, fft, cppn, fourier_cppn, as tfart-dream --mode visualize makes them: tfart.dream.VISUALIZE)
draws each channel on its own, at equal steps, with the standard random transforms. Then:
- activation: the channel's mean activation on the result, divided by pixel's on the same
  channel (median over the channels, and the lowest and highest).
- robust: the same under 16 draws of the random transforms (a pattern that only works at one
  exact position, the adversarial kind, loses here).
- high-freq: the share of the result's spectral energy above half the Nyquist frequency
  (tfart.spectrum), mean over the channels; a photograph (skimage:chelsea) is printed beside it.
- seconds: wall time of the layer's runs.
All runs happen side by side in one process; compare times within one run only. Writes a sheet
to --sheet: for each layer, a row per parameterization, a column per channel.

--part alignment: aligned interpolation (tfart.interpolation) of --frames frames from
--start to --end (two block4_conv3 channels, before the ReLU), drawn by FFT frames with each
alignment weight of --alignments (0: no penalty) and by one CPPN along a latent line. For each:
- change: the mean change of a pixel value between consecutive frames (lower: better aligned),
  and its ratio to the FFT frames without the penalty;
- start, end: the start channel's mean activation on the first frame and the end channel's on
  the last, as ratios to the FFT frames without the penalty (what the alignment costs);
- morph: whether the frames morph at all, from 0 (the first and last frames excite both
  channels alike) to 1: the mean over the two channels of (its activation on its own end frame
  minus on the other end frame) / (the sum of their sizes).
Writes --alignment_sheet: a row of frames per method.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tfart import dream, imaging, interpolation, jobs, objectives, optimize, spectrum, transforms  # noqa: E402
from tfart.backbones import Backbone  # noqa: E402
from tfart.errors import UserError  # noqa: E402

PARAMETERIZATIONS = ("pixel", "fft", "cppn", "fourier_cppn")
CHANNELS = (1, 12, 33, 47, 64, 101, 170, 230)


def activation(backbone, layer, channel, image, transform=None, draws=16):
    """Mean activation of `channel` on image [1, H, W, 3], as is or averaged over transform draws
    (one call per draw: a call moves a whole batch alike)."""
    seen = [image] if transform is None else [transform(image) for _ in range(draws)]
    return float(np.mean([np.mean(backbone(im)[layer][..., channel]) for im in seen]))


def visualize(parameterization, backbone, layer, channel, size, steps, seed):
    keras.utils.set_random_seed(seed)
    generator, lr = dream.visualization_generator(parameterization, size, seed)
    jobs.run(generator, objectives.channel(layer, channel), backbone, height=size, width=size,
             settings=optimize.Settings(steps=steps, lr=lr), outputs=jobs.Outputs(progress=False),
             transform=transforms.standard(size))
    return generator.image(size, size).numpy()


def interpolate(kind, weight, backbone, start, end, frames, size, steps, seed):
    """The frames of an aligned interpolation [frames, H, W, 3] and the seconds it took."""
    keras.utils.set_random_seed(seed)
    transforms.seed(seed)
    objective = objectives.interpolation(objectives.parse(start), objectives.parse(end), frames)
    if weight:
        objective = objective + weight * objectives.alignment(dream.diversity_layer(start.split(":")[0]))
    generator, lr = interpolation.generator(kind, size, frames, seed)
    began = time.perf_counter()
    jobs.run(generator, objective, backbone, height=size, width=size, outputs=jobs.Outputs(progress=False),
             settings=optimize.Settings(steps=steps, lr=lr, train="both" if generator.latent_dim else "weights"),
             transform=transforms.standard(size))
    return generator.image(size, size).numpy(), time.perf_counter() - began


def alignment_figure(args):
    layer = args.start.split(":")[0]
    try:
        backbone = Backbone("vgg16", [layer, dream.diversity_layer(layer)], weights="hed", layers_flag="--start")
        weights = [float(w) for w in args.alignments.split(",")]
        if weights[0] != 0:
            raise UserError("--alignments: start with 0, the frames without the penalty that the others are compared to")
        imaging.check_writable(args.alignment_sheet, "--alignment_sheet")
    except (UserError, ValueError) as e:
        raise SystemExit(f"error: {e}")
    start_channel, end_channel = (int(x.split(":")[1]) for x in (args.start, args.end))
    print(f"VGG16 --weights hed, aligned interpolation {args.start} -> {args.end}, {args.frames} frames of "
          f"{args.size} px, {args.steps} Adam steps, standard transforms, seed {args.seed}")
    print(f"{'method':<24}{'change':>9}{'vs fft':>8}{'start':>8}{'end':>8}{'morph':>8}{'seconds':>9}")
    runs = [("fft", w) for w in weights] + [("cppn", 0.0)]
    rows, labels, base = [], [], None
    for kind, weight in runs:
        frames, seconds = interpolate(kind, weight, backbone, args.start, args.end, args.frames, args.size,
                                      args.steps, args.seed)
        change = interpolation.frame_change(frames)
        own = [activation(backbone, layer, c, frames[[i]]) for c, i in ((start_channel, 0), (end_channel, -1))]
        other = [activation(backbone, layer, c, frames[[i]]) for c, i in ((start_channel, -1), (end_channel, 0))]
        morph = np.mean([(a - b) / max(abs(a) + abs(b), 1e-9) for a, b in zip(own, other)])
        base = base or (change, own)
        name = f"fft, alignment {weight:g}" if kind == "fft" else "cppn, latent line"
        print(f"{name:<24}{change:>9.4f}{change / base[0]:>7.2f}x{own[0] / base[1][0]:>7.2f}x"
              f"{own[1] / base[1][1]:>7.2f}x{morph:>8.2f}{seconds:>9.1f}", flush=True)
        rows.extend(frames)
        labels.extend([name] + [""] * (len(frames) - 1))
    imaging.save_png(args.alignment_sheet, imaging.contact_sheet(rows, columns=args.frames, labels=labels) / 255.0,
                     flag="--alignment_sheet")
    print(f"wrote {args.alignment_sheet}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=160)
    parser.add_argument("--layers", default="block3_conv3_pre_relu,block4_conv3_pre_relu")
    parser.add_argument("--channels", default=",".join(map(str, CHANNELS)))
    parser.add_argument("--only", default=",".join(PARAMETERIZATIONS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet", default="out/benchmarks/featurevis.png")
    parser.add_argument("--part", choices=("channels", "alignment", "all"), default="all")
    parser.add_argument("--start", default="block4_conv3_pre_relu:12")
    parser.add_argument("--end", default="block4_conv3_pre_relu:33")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--alignments", default="0,1,10")
    parser.add_argument("--alignment_sheet", default="out/benchmarks/alignment.png")
    args = parser.parse_args()
    if args.part in ("alignment", "all"):
        alignment_figure(args)
        if args.part == "alignment":
            return
    try:
        layers, channels = args.layers.split(","), [int(c) for c in args.channels.split(",")]
        only = args.only.split(",")
        if "pixel" not in only or any(p not in PARAMETERIZATIONS for p in only):
            raise UserError(f"--only: choose among {', '.join(PARAMETERIZATIONS)}, pixel included")
        backbone = Backbone("vgg16", layers, weights="hed", layers_flag="--layers")
        for layer in layers:
            objectives.check(objectives.parse(f"{layer}:{max(channels)}"), backbone, "--channels")
        imaging.check_writable(args.sheet, "--sheet")
        photo = imaging.load_image("skimage:chelsea", args.size, "photo")
    except (UserError, ValueError) as e:
        raise SystemExit(f"error: {e}")

    robust = transforms.standard(args.size)
    print(f"VGG16 --weights hed, {args.size} px, {args.steps} Adam steps per channel, standard transforms, "
          f"seed {args.seed}; channels {', '.join(map(str, channels))}")
    print(f"a photograph's high-freq share: {spectrum.high_frequency_share(photo[0]):.4f}")
    print(f"{'layer':<24}{'parameterization':<17}{'activation vs pixel':>24}{'robust vs pixel':>22}"
          f"{'high-freq':>11}{'seconds':>9}")
    rows, labels = [], []
    for layer in layers:
        results = {}
        for p in only:
            start = time.perf_counter()
            images = [visualize(p, backbone, layer, c, args.size, args.steps, args.seed) for c in channels]
            seconds = time.perf_counter() - start
            plain = [activation(backbone, layer, c, im) for c, im in zip(channels, images)]
            moved = [activation(backbone, layer, c, im, robust) for c, im in zip(channels, images)]
            hf = np.mean([spectrum.high_frequency_share(im[0]) for im in images])
            results[p] = (plain, moved)
            ratio = np.array(plain) / np.array(results["pixel"][0])
            robust_ratio = np.array(moved) / np.array(results["pixel"][1])
            print(f"{layer:<24}{p:<17}{np.median(ratio):>10.2f} ({ratio.min():.2f}-{ratio.max():.2f})"
                  f"{np.median(robust_ratio):>12.2f} ({robust_ratio.min():.2f}-{robust_ratio.max():.2f})"
                  f"{hf:>11.4f}{seconds:>9.1f}", flush=True)
            rows.extend(im[0] for im in images)
            labels.extend(f"{p} {layer[:12]}:{c}" if i == 0 else f"{c}" for i, c in enumerate(channels))
    imaging.save_png(args.sheet, imaging.contact_sheet(rows, columns=len(channels), labels=labels) / 255.0,
                     flag="--sheet")
    print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()

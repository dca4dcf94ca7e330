"""A learned latent space on the digits: the CPPN decoder against a transposed-convolution one.

    pip install -e ".[bench,perceive]"
    python benchmarks/latent.py [--epochs 100] [--out out/benchmarks]

scikit-learn's 1797 digits at 24 px: the first 1500 train, the last 297 are held out. Each VAE
(tfart.vae, latent 8, batch 64, Adam 3e-3) trains for the same --epochs; the table prints the
held-out reconstruction error (mean squared error of the decoded mean code, and its PSNR), the
decoder's parameters and the seconds of training, and how 512 codes drawn from the prior read
to the digits judge of tfart-perceive (classifiers.train_digits, trained here on the same 1500):
its mean top probability, and how many of the ten digits are its answer for at least 2% of the
samples (a crude Inception score: are the samples digits, and all ten of them?). The baseline decoder is a plain
Dense -> two stride-2 Conv2DTranspose -> Conv2D network with as many parameters as the CPPN; it
draws at 24 px only, where the CPPN draws at any size. Then the samples per second of training
on one and on two logical CPU devices (tf.distribute.MirroredStrategy, a subprocess). Writes
OUT/latent_samples.png: 16 codes from the prior decoded by each trained decoder at 24 px, and by
the CPPN VAE and VAE-GAN at 8x the training size (192 px).
"""
import argparse
import os
import subprocess
import sys
import textwrap
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfart import classifiers, imaging, vae  # noqa: E402

SIZE, LATENT, BATCH, LR, TRAIN = 24, 8, 64, 3e-3, 1500


class DeconvDecoder(keras.Model):
    """z [B, L] -> [B, 24, 24, 3] grey images in [0, 1]: Dense to 6 x 6 x w, two stride-2
    transposed convolutions (w, then w / 2 channels) and a 3 x 3 convolution to one channel."""

    def __init__(self, width):
        super().__init__(name="deconv")
        self.width = width
        self.layers_ = [keras.layers.Dense(6 * 6 * width, activation="relu"),
                        keras.layers.Reshape((6, 6, width)),
                        keras.layers.Conv2DTranspose(width, 3, strides=2, padding="same", activation="relu"),
                        keras.layers.Conv2DTranspose(max(width // 2, 1), 3, strides=2, padding="same",
                                                     activation="relu"),
                        keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")]
        self.image(SIZE, SIZE, tf.zeros([1, LATENT]))

    def image(self, height, width, z):
        x = z
        for layer in self.layers_:
            x = layer(x)
        return tf.tile(x, [1, 1, 1, 3])

    @property
    def weight_variables(self):
        return self.trainable_variables


def parameters(variables):
    return int(sum(np.prod(v.shape) for v in variables))


def matched_deconv(count):
    """The baseline whose parameter count is nearest `count`."""
    return min((DeconvDecoder(w) for w in range(2, 33)), key=lambda d: abs(parameters(d.weight_variables) - count))


def train(model, epochs, images):
    strategy = tf.distribute.get_strategy()
    step = vae.train_step(model, vae.optimizers(model, LR), strategy, BATCH)
    start = time.perf_counter()
    for epoch in range(epochs):
        for batch, noise in vae.with_noise(images, LATENT, epoch).shuffle(TRAIN, seed=epoch).batch(BATCH, drop_remainder=True):
            step(batch, noise)
    return time.perf_counter() - start


def judged(judge, model, samples=512):
    """(mean top probability, digits answered for >= 2% of samples) of prior samples."""
    z = np.random.default_rng(1).normal(size=(samples, LATENT)).astype("float32")
    ink = 1.0 - tf.image.resize(model.decode(z), (48, 48))  # the judge reads dark ink on white
    probabilities = judge.predict(ink, verbose=0)
    shares = np.bincount(probabilities.argmax(-1), minlength=10) / samples
    return float(probabilities.max(-1).mean()), int((shares >= 0.02).sum())


def held_out_error(model, held_out):
    mean, _ = model.encoder(held_out)
    mse = float(tf.reduce_mean(tf.square(model.decode(mean) - held_out)))
    return mse, 10 * np.log10(1.0 / mse)


THROUGHPUT = textwrap.dedent("""
    import os, sys, time
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from tfart import vae
    size, latent, batch, steps, rounds = (int(a) for a in sys.argv[1:6])
    data = vae.digits(size, latent).repeat().batch(batch, drop_remainder=True)
    runs = {}
    for devices in (["/cpu:0"], ["/cpu:0", "/cpu:1"]):
        strategy = tf.distribute.MirroredStrategy(devices)
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = vae.VAE(size, 1, latent)
            step = vae.train_step(model, vae.optimizers(model, 1e-3), strategy, batch)
        runs[len(devices)] = (step, iter(strategy.experimental_distribute_dataset(data)))
        float(step(*next(runs[len(devices)][1]))["loss"])  # trace
    seconds = {1: [], 2: []}
    for _ in range(rounds):  # alternate, so both see the same machine load
        for replicas, (step, batches) in runs.items():
            start = time.perf_counter()
            for _ in range(steps):
                losses = step(*next(batches))
            float(losses["loss"])
            seconds[replicas].append(time.perf_counter() - start)
    for replicas, times in seconds.items():
        print(replicas, steps * batch / sorted(times)[len(times) // 2])
""")


def throughput(steps=20, rounds=5):
    """Training samples per second on 1 and on 2 logical CPU devices: {1: s/s, 2: s/s}."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", THROUGHPUT, str(SIZE), str(LATENT), "128", str(steps), str(rounds)],
                          capture_output=True, text=True, cwd=root, check=True)
    return {int(a): float(b) for a, b in (line.split() for line in proc.stdout.strip().splitlines())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", default="out/benchmarks")
    args = parser.parse_args()
    images = vae.digit_images(SIZE)
    train_set, held_out = images.take(TRAIN), np.stack(list(images.skip(TRAIN).as_numpy_iterator()))
    z = np.random.default_rng(0).normal(size=(16, LATENT)).astype("float32")

    print(f"scikit-learn digits at {SIZE} px, {TRAIN} train / {len(held_out)} held out, latent {LATENT}, "
          f"batch {BATCH}, Adam {LR}, {args.epochs} epochs each")
    judge, accuracy = classifiers.train_digits()
    real = judge.predict(1.0 - tf.image.resize(held_out, (48, 48)), verbose=0).max(-1).mean()
    print(f"digits judge: held-out accuracy {accuracy:.3f}, mean top probability on the held-out digits {real:.3f}")
    print(f"{'decoder':<24}{'parameters':>11}{'held-out MSE':>14}{'PSNR dB':>9}{'seconds':>9}"
          f"{'prior: judge p':>16}{'digits':>8}")
    rows, sheets = {}, []
    for name, options in (("cppn VAE", {}), ("cppn VAE-GAN", {"gan": True}),
                          ("fourier_cppn VAE", {"decoder": "fourier_cppn"}), ("transposed-conv VAE", None)):
        keras.utils.set_random_seed(0)
        model = vae.VAE(SIZE, 1, LATENT, **(options or {}))
        if options is None:
            model.decoder = matched_deconv(rows["cppn VAE"][0])
        count = parameters(model.decoder.weight_variables)
        seconds = train(model, args.epochs, train_set)
        mse, psnr = held_out_error(model, held_out)
        confidence, covered = judged(judge, model)
        rows[name] = (count, mse)
        print(f"{name:<24}{count:>11}{mse:>14.4f}{psnr:>9.2f}{seconds:>9.1f}{confidence:>16.3f}{covered:>8}", flush=True)
        small = tf.image.resize(model.decode(z), (8 * SIZE, 8 * SIZE), "nearest")
        sheets.append((f"{name}, 24 px", small))
        if options is not None and options.get("decoder") is None:
            sheets.append((f"{name}, 192 px", model.decode(z, 8 * SIZE)))
    ratio = rows["transposed-conv VAE"][1] / rows["cppn VAE"][1]
    print(f"held-out MSE, transposed-conv / cppn: {ratio:.2f} (above 1: the CPPN reconstructs better)")

    rates = throughput()
    print(f"training samples/s, MirroredStrategy on logical CPU devices: 1 device {rates[1]:.0f}, "
          f"2 devices {rates[2]:.0f}, ratio 2/1 {rates[2] / rates[1]:.2f} "
          f"(both share this machine's {os.cpu_count()} cores)")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "latent_samples.png")
    cells = [np.repeat(np.asarray(image[i]), 3, axis=-1) for _, image in sheets for i in range(4)]
    labels = [label if i == 0 else "" for label, _ in sheets for i in range(4)]
    imaging.save_png(path, imaging.contact_sheet(cells, columns=4, labels=labels) / 255.0)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

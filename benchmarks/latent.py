"""A learned latent space: the CPPN decoder against a transposed-convolution one, on digits or letters.

    pip install -e ".[bench,perceive]"
    python benchmarks/latent.py [--dataset digits|glyphs] [--epochs 100] [--out out/benchmarks]

digits: scikit-learn's 1797 digits at 24 px, the first 1500 train, the last 297 are held out;
judged by the digits judge of tfart-perceive (classifiers.train_digits, trained here on the same
1500). glyphs: the capitals of the installed fonts at 32 px (tfart.glyphs), the training fonts'
train and the test fonts' are held out (fonts never seen); judged by the glyph judge
(classifiers.train_glyphs, trained here on the training fonts). Each VAE (tfart.vae, latent 8,
batch 64, Adam 3e-3) trains for the same --epochs; the table prints the held-out reconstruction
error (mean squared error of the decoded mean code, and its PSNR), the decoder's parameters and
the seconds of training, and how 512 codes drawn from the prior read to the judge: its mean top
probability, how many classes are its answer for at least 2% of the samples, and for at least
one (a crude Inception score: are the samples digits or letters, and all of them?); the same for
512 codes drawn from a mixture of --mixture Gaussians fitted to the training images' codes after
training (tfart-train-latent --mixture), with the samples' RMS distance to their nearest training
image (against the held-out images' own, printed above the table: a copy would be near 0). The baseline
decoder is a plain Dense -> two stride-2 Conv2DTranspose -> Conv2D network with as many
parameters as the CPPN; it draws at the training size only, where the CPPN draws at any size.
Then training samples per second: on one and on two logical CPU devices of one process
(tf.distribute.MirroredStrategy), and in one process against two worker processes on loopback
(tf.distribute.MultiWorkerMirroredStrategy, TF_CONFIG per process), all subprocesses. Writes
OUT/latent_samples.png (digits) or OUT/latent_glyphs.png: 16 codes from the prior decoded by
each trained decoder at the training size, and by the CPPN VAE and VAE-GAN at 8x that size, and
16 codes of the mixture by those two at 8x.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfart import classifiers, glyphs, imaging, latent, vae  # noqa: E402

LATENT, BATCH, LR = 8, 64, 3e-3
SIZE = 24  # the digits'; --dataset glyphs sets 32


class DeconvDecoder(keras.Model):
    """z [B, L] -> [B, S, S, 3] grey images in [0, 1]: Dense to S/4 x S/4 x w, two stride-2
    transposed convolutions (w, then w / 2 channels) and a 3 x 3 convolution to one channel."""

    def __init__(self, width):
        super().__init__(name="deconv")
        self.width = width
        base = SIZE // 4
        self.layers_ = [keras.layers.Dense(base * base * width, activation="relu"),
                        keras.layers.Reshape((base, base, width)),
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
    count = int(images.cardinality())
    start = time.perf_counter()
    for epoch in range(epochs):
        batches = vae.with_noise(images, LATENT, epoch).shuffle(count, seed=epoch).batch(BATCH, drop_remainder=True)
        for batch, noise in batches:
            step(batch, noise)
    return time.perf_counter() - start


def judged(judge, model, z):
    """How the judge reads the decoded codes z: (mean top probability, classes answered for >= 2%
    of them, classes answered at all)."""
    samples = len(z)
    side = judge.input_shape[1]
    ink = 1.0 - tf.image.resize(model.decode(z), (side, side))  # the judge reads dark ink on white
    probabilities = judge.predict(ink, verbose=0)
    shares = np.bincount(probabilities.argmax(-1), minlength=probabilities.shape[-1]) / samples
    return float(probabilities.max(-1).mean()), int((shares >= 0.02).sum()), int((shares > 0).sum())


def mixture_codes(model, train_images, components, samples=512):
    """`samples` codes from a mixture of `components` Gaussians fitted to the training images' mean
    codes (latent.fit_mixture, as tfart-train-latent --mixture does)."""
    return latent.random_codes(samples, LATENT, 1, latent.fit_mixture(model.mean_codes(train_images), components))


def nearest_training_rms(images, train_images):
    """Mean over `images` of the RMS pixel difference to the nearest training image (a copy of a
    training image scores about 0)."""
    train = train_images.reshape(len(train_images), -1)
    return float(np.mean([np.sqrt(((train - x.reshape(1, -1)) ** 2).mean(-1).min()) for x in np.asarray(images)]))


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


WORKER = textwrap.dedent("""
    import os, sys, time
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    # Made before TensorFlow runs anything (collective ops are configured then).
    multi_worker = "TF_CONFIG" in os.environ
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if multi_worker else tf.distribute.get_strategy()
    import keras
    from tfart import vae
    size, latent, batch, steps = (int(a) for a in sys.argv[1:5])
    images = vae.glyph_images(size)[0] if sys.argv[5] == "glyphs" else vae.digit_images(size)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    data = vae.with_noise(images, latent).repeat().batch(batch, drop_remainder=True).with_options(options)
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = vae.VAE(size, 1, latent)
        optimizers = vae.optimizers(model, 1e-3)
    step = vae.train_step(model, optimizers, strategy, batch)
    batches = iter(strategy.experimental_distribute_dataset(data))
    for _ in range(3):  # trace and warm up
        float(step(*next(batches))["loss"])
    start = time.perf_counter()
    for _ in range(steps):
        losses = step(*next(batches))
    float(losses["loss"])
    print(steps * batch / (time.perf_counter() - start))
""")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_throughput(dataset, steps=40, rounds=3, batch=128):
    """Global training samples/s in one process and in two worker processes on loopback
    (MultiWorkerMirroredStrategy, TF_CONFIG per process), alternated `rounds` times: medians."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    command = [sys.executable, "-c", WORKER, str(SIZE), str(LATENT), str(batch), str(steps), dataset]
    rates = {1: [], 2: []}
    for _ in range(rounds):
        proc = subprocess.run(command, capture_output=True, text=True, cwd=root, check=True)
        rates[1].append(float(proc.stdout.split()[-1]))
        cluster = {"worker": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]}
        workers = [subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env={**os.environ, "TF_CONFIG": json.dumps(
                                        {"cluster": cluster, "task": {"type": "worker", "index": i}})})
                   for i in range(2)]
        outputs = [w.communicate(timeout=600) for w in workers]
        if any(w.returncode for w in workers):
            raise SystemExit(f"error: a worker process failed: {outputs[0][1][-500:]}{outputs[1][1][-500:]}")
        rates[2].append(float(outputs[0][0].split()[-1]))  # the chief's: global samples/s
    return {n: float(np.median(r)) for n, r in rates.items()}


def throughput(steps=20, rounds=5):
    """Training samples per second on 1 and on 2 logical CPU devices: {1: s/s, 2: s/s}."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", THROUGHPUT, str(SIZE), str(LATENT), "128", str(steps), str(rounds)],
                          capture_output=True, text=True, cwd=root, check=True)
    return {int(a): float(b) for a, b in (line.split() for line in proc.stdout.strip().splitlines())}


def data(dataset):
    """(training images as a tf.data set, held-out images [N, S, S, 1], the judge: a Keras model
    of dark ink on white, a line on the data, a line on the judge)."""
    if dataset == "digits":
        images = vae.digit_images(SIZE)
        train_set, held_out = images.take(1500), np.stack(list(images.skip(1500).as_numpy_iterator()))
        judge, accuracy = classifiers.train_digits()
        return (train_set, held_out, judge, f"scikit-learn digits at {SIZE} px, 1500 train / {len(held_out)} held out",
                f"digits judge: held-out accuracy {accuracy:.3f}")
    train_set, split, _ = vae.glyph_images(SIZE)
    held_out = glyphs.render(split["test"], SIZE)[0]
    judge, accuracy, _, _ = classifiers.train_glyphs()
    return (train_set, held_out, judge,
            f"capitals of installed fonts at {SIZE} px, {int(train_set.cardinality())} of {len(split['train'])} "
            f"training fonts train / {len(held_out)} of {len(split['test'])} test fonts held out",
            f"glyph judge: test-font accuracy {accuracy['test']:.3f}")


def main():
    global SIZE, LATENT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="digits", choices=["digits", "glyphs"])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", default="out/benchmarks")
    parser.add_argument("--latent", type=int, default=8, help="latent size (16 for the README's letters)")
    parser.add_argument("--hidden", type=int, default=32, help="the CPPN decoders' width (64 for the letters)")
    parser.add_argument("--mixture", type=int, default=100, help="components of the mixture fitted to the codes")
    parser.add_argument("--throughput", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure training samples/s (--no-throughput: the table only)")
    args = parser.parse_args()
    SIZE, LATENT = (32 if args.dataset == "glyphs" else 24), args.latent
    train_set, held_out, judge, about_data, about_judge = data(args.dataset)
    z = np.random.default_rng(0).normal(size=(16, LATENT)).astype("float32")

    print(f"{about_data}, latent {LATENT}, CPPN width {args.hidden}, batch {BATCH}, Adam {LR}, "
          f"{args.epochs} epochs each")
    side = judge.input_shape[1]
    real = judge.predict(1.0 - tf.image.resize(held_out, (side, side)), verbose=0).max(-1).mean()
    train_images = np.stack(list(train_set.as_numpy_iterator()))
    print(f"{about_judge}, mean top probability on the held-out images {real:.3f}; their RMS distance to the "
          f"nearest training image {nearest_training_rms(held_out[:256], train_images):.3f}")
    classes = judge.output_shape[-1]
    print(f"judge p, >= 2%, seen: how the judge reads 512 codes drawn from N(0, I) (the prior) and from a mixture "
          f"of {args.mixture} Gaussians fitted to the training codes (of {classes} classes); nearest: the mixture "
          "samples' RMS distance to the nearest training image")
    print(f"{'decoder':<22}{'parameters':>11}{'held-out MSE':>13}{'PSNR dB':>8}{'seconds':>8}"
          f"{'N(0,I): p':>10}{'>=2%':>5}{'seen':>5}{'mixture: p':>11}{'>=2%':>5}{'seen':>5}{'nearest':>8}")
    rows, sheets = {}, []
    for name, options in (("cppn VAE", {}), ("cppn VAE-GAN", {"gan": True}),
                          ("fourier_cppn VAE", {"decoder": "fourier_cppn"}), ("transposed-conv VAE", None)):
        keras.utils.set_random_seed(0)
        model = vae.VAE(SIZE, 1, LATENT, decoder_options={"hidden": args.hidden}, **(options or {}))
        if options is None:
            model.decoder = matched_deconv(rows["cppn VAE"][0])
        count = parameters(model.decoder.weight_variables)
        seconds = train(model, args.epochs, train_set)
        mse, psnr = held_out_error(model, held_out)
        prior = judged(judge, model, np.random.default_rng(1).normal(size=(512, LATENT)).astype("float32"))
        codes = mixture_codes(model, train_images, args.mixture)
        mixed = judged(judge, model, codes)
        nearest = nearest_training_rms(model.decode(codes[:256]).numpy(), train_images)
        rows[name] = (count, mse)
        print(f"{name:<22}{count:>11}{mse:>13.4f}{psnr:>8.2f}{seconds:>8.1f}{prior[0]:>10.3f}{prior[1]:>5}{prior[2]:>5}"
              f"{mixed[0]:>11.3f}{mixed[1]:>5}{mixed[2]:>5}{nearest:>8.3f}", flush=True)
        small = tf.image.resize(model.decode(z), (8 * SIZE, 8 * SIZE), "nearest")
        sheets.append((f"{name}, {SIZE} px", small))
        if options is not None and options.get("decoder") is None:
            sheets.append((f"{name}, {8 * SIZE} px", model.decode(z, 8 * SIZE)))
            sheets.append((f"{name}, mixture, {8 * SIZE} px", model.decode(codes[:16], 8 * SIZE)))
    ratio = rows["transposed-conv VAE"][1] / rows["cppn VAE"][1]
    print(f"held-out MSE, transposed-conv / cppn: {ratio:.2f} (above 1: the CPPN reconstructs better)")

    if not args.throughput:
        save_sheets(args, sheets)
        return
    rates = throughput()
    print(f"training samples/s, MirroredStrategy on logical CPU devices: 1 device {rates[1]:.0f}, "
          f"2 devices {rates[2]:.0f}, ratio 2/1 {rates[2] / rates[1]:.2f} "
          f"(both share this machine's {os.cpu_count()} cores)")
    rates = worker_throughput(args.dataset)
    print(f"training samples/s, global batch 128: 1 process {rates[1]:.0f}, 2 worker processes "
          f"(MultiWorkerMirroredStrategy on loopback) {rates[2]:.0f}, ratio 2/1 {rates[2] / rates[1]:.2f} "
          f"(both share this machine's {os.cpu_count()} cores)")

    save_sheets(args, sheets)


def save_sheets(args, sheets):
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "latent_samples.png" if args.dataset == "digits" else "latent_glyphs.png")
    cells = [np.repeat(np.asarray(image[i]), 3, axis=-1) for _, image in sheets for i in range(4)]
    labels = [label if i == 0 else "" for label, _ in sheets for i in range(4)]
    imaging.save_png(path, imaging.contact_sheet(cells, columns=4, labels=labels) / 255.0)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

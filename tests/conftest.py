import os
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def run_script():
    """Run scripts/NAME.py with flags in a subprocess: (returncode, stdout, stderr)."""
    def run(name, *args, timeout=300):
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", f"{name}.py"), *args],
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        return proc.returncode, proc.stdout, proc.stderr
    return run


@pytest.fixture(scope="session")
def digits_file(tmp_path_factory):
    """A 1-channel 48 x 48 CNN trained here on scikit-learn's handwritten digits (dark ink on
    white, 1500 for training): about 0.89 accuracy on the other 297 after 2 s of training."""
    import tensorflow as tf
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = tf.image.resize(1.0 - digits.images[..., None].astype("float32") / 16.0, (48, 48)).numpy()
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([
        tf.keras.Input((48, 48, 1)), tf.keras.layers.Conv2D(16, 5, strides=2, activation="relu"),
        tf.keras.layers.Conv2D(32, 3, strides=2, activation="relu"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images[:1500], digits.target[:1500], epochs=10, batch_size=64, verbose=0)
    assert model.evaluate(images[1500:], digits.target[1500:], verbose=0)[1] > 0.8
    path = tmp_path_factory.mktemp("digits") / "digits.keras"
    model.save(path)
    return str(path)

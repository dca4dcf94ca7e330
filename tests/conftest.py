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
    """The digits classifier of `--models digits` (tfart.classifiers.train_digits), trained here."""
    from tfart import classifiers
    model, accuracy = classifiers.train_digits()
    assert accuracy > 0.8
    path = tmp_path_factory.mktemp("digits") / "digits.keras"
    model.save(path)
    return str(path)

import os
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The longest files (--durations here: the README's commands 8-11 minutes with the glyph judge's
# training, their tfart-dream half 3-5, then 1-4 each), handed out first to pytest-xdist's two
# workers so that the short files fill in at the end. By default xdist hands files out by how many
# tests they hold, most first, which put these 17th and later, the README's dream half last.
LONGEST_FIRST = ("test_readme.py", "test_readme_dream.py", "test_style_transfer.py", "test_multi_worker.py",
                 "test_studio_browser.py", "test_vae.py", "test_scripts.py", "test_own_backbones.py")


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist: keep the order below
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file stays whole, in order


@pytest.fixture
def run_script():
    """Run scripts/NAME.py with flags in a subprocess: (returncode, stdout, stderr)."""
    def run(name, *args, timeout=300):
        proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", f"{name}.py"), *args],
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        return proc.returncode, proc.stdout, proc.stderr
    return run


@pytest.fixture(scope="session")
def glyph_judge_cache(tmp_path_factory):
    """A tfart cache folder holding the glyph judge (about 30 s to train), trained once for the whole
    run: pytest-xdist's workers share it, the first to take the lock trains and the others wait."""
    import fcntl
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.getbasetemp().parent / "glyph_judge"  # this run's, shared by its workers
        folder.mkdir(exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("glyph_judge")
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = os.environ.get("TFART_CACHE")
        os.environ["TFART_CACHE"] = str(folder)
        try:
            from tfart import classifiers
            classifiers.trained_model("glyphs")
        finally:
            if previous is None:
                del os.environ["TFART_CACHE"]
            else:
                os.environ["TFART_CACHE"] = previous
    return folder


@pytest.fixture(scope="session")
def digits_file(tmp_path_factory):
    """The digits classifier of `--models digits` (tfart.classifiers.train_digits), trained here."""
    from tfart import classifiers
    model, accuracy = classifiers.train_digits()
    assert accuracy > 0.8
    path = tmp_path_factory.mktemp("digits") / "digits.keras"
    model.save(path)
    return str(path)

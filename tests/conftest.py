import os
import shutil
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZYGOTE = os.path.join(ROOT, "tests", "zygote.py")


@pytest.fixture(scope="session")
def zygote(tmp_path_factory):
    """The command line that runs a script as a process of its own through tests/zygote.py's fork
    server (TensorFlow imported once, not once a command): `[*zygote, "scripts/x.py", *flags]`."""
    import select
    import tempfile
    folder = tempfile.mkdtemp(prefix="tfart-zygote-")  # a short path: a socket's is at most 107 bytes
    socket_path, log = os.path.join(folder, "socket"), tmp_path_factory.mktemp("zygote") / "server.log"
    with open(log, "w") as errors:
        server = subprocess.Popen([sys.executable, ZYGOTE, "serve", socket_path], stdout=subprocess.PIPE,
                                  stderr=errors, text=True, cwd=ROOT)
    # It imports TensorFlow (seconds); one that hangs fails the tests that need it, not CI's clock.
    answered, _, _ = select.select([server.stdout], [], [], 180)
    if not answered or server.stdout.readline().strip() != "ready":
        server.kill()
        pytest.fail(f"the tests' fork server did not start{'' if answered else ' within 180 s'}:\n{log.read_text()}")
    yield [sys.executable, ZYGOTE, socket_path]
    server.kill()
    server.wait()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def run_script(zygote):
    """Run scripts/NAME.py with flags as a process of its own (through `zygote`): (returncode, stdout, stderr)."""
    def run(name, *args, timeout=300):
        proc = subprocess.run([*zygote, os.path.join(ROOT, "scripts", f"{name}.py"), *args],
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

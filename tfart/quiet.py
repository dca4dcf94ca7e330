"""Import TensorFlow without its start-up lines (set TFART_VERBOSE=1 to see them).

TensorFlow's C++ side prints oneDNN, CUDA-stub and cuInit lines while it loads and when it first
looks for devices; `TF_CPP_MIN_LOG_LEVEL` cannot hide them, because they are written before its
logging is set up. They go straight to file descriptor 2, so that descriptor points at a
temporary file while TensorFlow loads; if loading fails, what was captured is shown after all.

`import tfart` does not import TensorFlow (the commands parse their flags first); it calls
`install()`, so that whatever imports TensorFlow later, a tfart module or Keras, imports it
quietly.
"""
import contextlib
import importlib.abc
import importlib.util
import os
import sys
import tempfile


@contextlib.contextmanager
def _stderr_captured():
    """File descriptor 2 into a temporary file for the block; shown if the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """TensorFlow's own loader, run with stderr captured, then its devices looked up the same way."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with _stderr_captured():
            self.loader.exec_module(module)
            module.config.list_physical_devices()  # the cuInit line, if any, is printed here


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as the other finders do, once, and hands it the quiet loader."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def install():
    """Make the first import of TensorFlow in this process quiet, whoever imports it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules or os.environ.get("TFART_VERBOSE"):
        return
    if not any(isinstance(finder, _QuietFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())


def import_tensorflow():
    """Import TensorFlow (quietly, see install) and return the module."""
    install()
    import tensorflow as tf
    return tf

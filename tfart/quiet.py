"""Import TensorFlow without its start-up lines (set TFART_VERBOSE=1 to see them).

TensorFlow's C++ side prints oneDNN, CUDA-stub and cuInit lines while it loads and when it first
looks for devices; `TF_CPP_MIN_LOG_LEVEL` cannot hide them, because they are written before its
logging is set up. They go straight to file descriptor 2, so that descriptor points at a
temporary file while TensorFlow loads; if loading fails, what was captured is shown after all.
"""
import os
import sys
import tempfile


def import_tensorflow():
    """Import TensorFlow and find its devices with stderr captured; returns the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules or os.environ.get("TFART_VERBOSE"):
        import tensorflow as tf
        return tf
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf
            tf.config.list_physical_devices()  # the cuInit line, if any, is printed here
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return tf

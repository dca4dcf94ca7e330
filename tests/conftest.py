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

"""The README's Python blocks run, so they cannot rot.

They run in order in one namespace, as a reader would paste them, with three changes a machine
without internet and a test budget need, each checked to apply: random backbone weights instead
of the ImageNet download, a few steps instead of hundreds, and a temporary folder for `out/`.
"""
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHANGES = [(r'weights="imagenet"', 'weights=None'),
           (r"\bsteps=\d+", "steps=2"),
           (r"\bfit_steps=\d+", "fit_steps=2")]


def python_blocks():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = python_blocks()
    assert len(blocks) >= 4
    code = "\n".join(blocks)
    for pattern, replacement in CHANGES:
        code, count = re.subn(pattern, replacement, code)
        assert count, f"the README no longer contains {pattern}"
    code = code.replace('"out/', f'"{tmp_path}/out/')
    monkeypatch.chdir(ROOT)  # the SavedModel example reads saved_models/
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["result"].stopped == "done"
    for name in ("thumb.png", "poster.png", "cat.png", "cat_big.png"):
        assert (tmp_path / "out" / "py" / name).exists(), name


# Appended to each README command, so that it runs small (later flags win in absl).
SMALL = r'''
small_frames() { case "$*" in *--frames*|*.gif*|*.mp4*) echo --frames 3;; esac; }
tfart-art() { command tfart-art "$@" --width 32 --height 32 $(small_frames "$@"); }
tfart-render() { command tfart-render "$@" --width 48 --height 40 $(small_frames "$@"); }
tfart-style() { command tfart-style "$@" --weights none --size 48 --steps 2 --fit_steps 2; }
set -e
'''


def shell_commands():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()
            if line.startswith("    ") and line.strip().startswith(("tfart-", "for "))]


@pytest.mark.slow
def test_readme_commands_run(tmp_path):
    import subprocess
    import sys
    commands = shell_commands()
    assert sum(c.startswith("tfart-art") for c in commands) >= 5 and any("tfart-style" in c for c in commands)
    os.symlink(os.path.join(ROOT, "saved_models"), tmp_path / "saved_models")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    for command in commands:
        proc = subprocess.run(["bash", "-c", SMALL + command], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, f"{command}\n{proc.stderr}"
    assert (tmp_path / "out" / "seed" / "grain30.gif").exists() and (tmp_path / "out" / "seed" / "fourier_x4.png").exists()

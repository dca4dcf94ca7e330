"""The README's Python blocks run, so they cannot rot.

They run in order in one namespace, as a reader would paste them, with three changes a machine
without internet and a test budget need, each checked to apply: random backbone weights instead
of the ImageNet download, a few steps instead of hundreds, and a temporary folder for `out/`.
"""
import os
import re

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

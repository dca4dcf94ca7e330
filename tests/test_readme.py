"""The README's Python blocks run, so they cannot rot.

They run in order in one namespace, as a reader would paste them, with the changes a test budget
needs, each checked to apply: a few steps instead of hundreds and a temporary folder for `out/`.
The backbone is the trained VGG16 of `--weights hed` (offline), converted into a temporary cache.
"""
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHANGES = [(r'weights="hed"', 'weights="hed"'),  # trained, offline: kept (converted into a temporary cache)
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
    monkeypatch.setenv("TFART_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(ROOT)  # the SavedModel example reads saved_models/
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["result"].stopped == "done"
    for name in ("thumb.png", "poster.png", "cat.png", "cat_big.png"):
        assert (tmp_path / "out" / "py" / name).exists(), name


# Appended to each README command, so that it runs small (later flags win in absl). Each command
# runs as the repository's scripts/*.py (the same mains as the console scripts,
# test_console_scripts_run_the_same_mains), a process of its own forked by the tests' server
# (conftest's `zygote`: TensorFlow imported once, not 59 times): a console script on PATH can be
# missing for a moment while pip reinstalls the package beside the run, which once failed this test.
SMALL = r'''
TFART_RUN=("$TFART_PYTHON" "$TFART_ZYGOTE" "$TFART_SOCKET")
run() { "${TFART_RUN[@]}" "$TFART_SCRIPTS/$1.py" "${@:2}"; }
small_frames() { case "$*" in *--frames*|*.gif*|*.mp4*) echo --frames 3;; esac; }
tfart-art() { run cppn_art "$@" --width 32 --height 32 $(small_frames "$@"); }
tfart-render() { run render "$@" --width 48 --height 40 $(small_frames "$@"); }
random_unless_hed() { case "$*" in *"--weights hed"*|*"--backbone out/"*) ;; *) echo --weights none;; esac; }
python() { "${TFART_RUN[@]}" "$@"; }
tfart-style() { run style_transfer "$@" $(random_unless_hed "$@") --size 48 --steps 2 --fit_steps 2 --coarse_steps 2; }
tfart-dream() { run dream "$@" $(random_unless_hed "$@") --size 48 --steps 2 --octaves 1 --channels 2; }
tfart-perceive() { run perceive "$@" --weights none --size 48 --budget 9 --upscale 2; }
tfart-train-latent() { run train_latent "$@" --epochs 1 --image_size 12 --batch_size 256; }
# The studio serves until stopped: start it on a free port (no browser), wait for its address, stop it.
tfart-studio() {
  local args=() pid
  for a in "$@"; do [ "$a" != --open ] && args+=("$a"); done
  "${TFART_RUN[@]}" "$TFART_SCRIPTS/studio.py" "${args[@]}" --port 0 --weights none > studio.log &
  pid=$!
  for _ in $(seq 600); do grep -q "tfart studio: http" studio.log && break; sleep 0.2; done
  kill $pid; wait $pid
  grep -q "tfart studio: http" studio.log && grep -q "tfart studio stopped" studio.log
}
set -e
'''


def test_console_scripts_run_the_same_mains():
    from importlib.metadata import entry_points
    scripts = {e.name: e.value for e in entry_points(group="console_scripts") if e.name.startswith("tfart-")}
    assert scripts == {"tfart-art": "tfart.commands.cppn_art:run", "tfart-render": "tfart.commands.render:run",
                       "tfart-style": "tfart.commands.style_transfer:run", "tfart-dream": "tfart.commands.dream:run",
                       "tfart-perceive": "tfart.commands.perceive:run",
                       "tfart-train-latent": "tfart.commands.train_latent:run",
                       "tfart-studio": "tfart.commands.studio:run"}
    for name, target in scripts.items():
        module = target.split(":")[0].rsplit(".", 1)[1]
        script = open(os.path.join(ROOT, "scripts", f"{module}.py"), encoding="utf-8").read()
        assert f"from tfart.commands import {module}" in script and f"{module}.run()" in script, name


# The tfart-dream section (and its "your own network" part) runs in tests/test_readme_dream.py, a
# file of its own so that pytest-xdist's --dist loadfile can run it beside the rest.
DREAM_SECTION = ("### `tfart-dream`", "### `tfart-perceive`")


def shell_commands(section=None):
    """The README's commands; section: True for those of DREAM_SECTION only, False for the others."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read().replace("\\\n", " ")
    start, end = text.index(DREAM_SECTION[0]), text.index(DREAM_SECTION[1])
    if section is not None:
        text = text[start:end] if section else text[:start] + text[end:]
    return [line.strip() for line in text.splitlines()
            if line.startswith("    ") and line.strip().startswith(("tfart-", "for ", "python -c"))]


def run_commands(commands, tmp_path, zygote):
    """Run each command as the README shows it, made small by SMALL, in tmp_path."""
    import subprocess
    os.symlink(os.path.join(ROOT, "saved_models"), tmp_path / "saved_models")
    # Commands that say --weights hed run with the trained features (converted once, into a
    # temporary cache); the others with random weights.
    python, server, socket = zygote
    env = dict(os.environ, TFART_PYTHON=python, TFART_ZYGOTE=server, TFART_SOCKET=socket,
               TFART_SCRIPTS=os.path.join(ROOT, "scripts"), TFART_CACHE=str(tmp_path / "cache"))
    for command in commands:
        # A loop over grain sizes runs the same command for each: here once, at the grain the
        # assertions read (30), to keep CI's time.
        command = re.sub(r"^for g in [0-9 ]+; do ", "for g in 30; do ", command)
        proc = subprocess.run(["bash", "-c", SMALL + command], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, f"{command}\n{proc.stderr}"


@pytest.mark.slow
def test_readme_commands_run(tmp_path, glyph_judge_cache, zygote):
    import shutil
    (tmp_path / "cache").mkdir()
    for name in os.listdir(glyph_judge_cache):  # the glyph judge, trained once for the whole test run
        if name.startswith("glyphs_"):
            shutil.copy(glyph_judge_cache / name, tmp_path / "cache" / name)
    commands = shell_commands(section=False)
    assert sum(c.startswith("tfart-art") for c in commands) >= 5 and any("tfart-style" in c for c in commands)
    run_commands(commands, tmp_path, zygote)
    assert (tmp_path / "out" / "seed" / "grain30.gif").exists() and (tmp_path / "out" / "seed" / "fourier_x4.png").exists()
    assert (tmp_path / "out" / "perceive" / "seven.svg").exists() and (tmp_path / "out" / "perceive" / "goldfish.svg").exists()
    assert (tmp_path / "out" / "latent" / "walk.gif").exists() and (tmp_path / "out" / "latent" / "atlas.png").exists()
    assert (tmp_path / "out" / "studio" / "state.json").exists()
    assert (tmp_path / "out" / "nca" / "regrow.gif").exists() and (tmp_path / "out" / "nca" / "big.gif").exists()


def test_readme_commands_write_under_out():
    """A README command that names its output writes under out/ (git-ignored), not into the checkout."""
    for command in shell_commands():
        for flag in ("--out", "--export"):
            for path in re.findall(rf"{flag} (\S+)", command):
                assert path.startswith("out/"), command


@pytest.mark.parametrize("module", ["cppn_art", "render", "style_transfer", "dream", "perceive", "train_latent",
                                    "studio"])
def test_help_examples_keep_their_lines(module):
    """Each command's --help starts with its docstring: no example there runs two lines together
    (a lone backslash at a line's end did that), and every example names a real way to run it."""
    import ast  # the modules define flags on import, and one process cannot hold them all
    doc = ast.get_docstring(ast.parse(open(os.path.join(ROOT, "tfart", "commands", f"{module}.py")).read()), clean=False)
    assert not [line for line in doc.splitlines() if re.search(r"\S {3,}-", line)], module
    if module == "perceive":
        assert "--models digits " in doc and "digits.keras" not in doc

"""What a new user meets first: installed commands, help, one error style, quiet start-up, --out."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COMMANDS = {"tfart-art": "cppn_art", "tfart-render": "render", "tfart-style": "style_transfer"}
TF_NOISE = ("I0000", "W0000", "E0000", "absl::InitializeLog", "oneDNN", "cuInit", "cuda")


def installed(command):
    return os.path.join(os.path.dirname(sys.executable), command)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_installed_commands_and_scripts_show_the_same_help_and_exit_0(command):
    proc = subprocess.run([installed(command), "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--seed" in proc.stdout and "--out" in proc.stdout and proc.stdout.startswith(
        {"tfart-art": "Random CPPN", "tfart-render": "Render a saved", "tfart-style": "Neural style"}[command])
    script = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", f"{COMMANDS[command]}.py"), "-h"],
                            capture_output=True, text=True, timeout=120)
    assert script.returncode == 0 and script.stdout == proc.stdout


def test_a_default_run_prints_no_tensorflow_start_up_lines(tmp_path):
    # a real process: the tests' fork server (run_script) has TensorFlow imported before the command starts
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "cppn_art.py"), "--width", "16", "--height",
                           "16", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    assert code == 0
    assert stderr == "", stderr
    assert not any(noise in stdout for noise in TF_NOISE)
    assert stdout.splitlines()[0] == f"wrote {tmp_path / 'cppn_seed0.png'}"


def test_tfart_verbose_shows_them_again():
    env = dict(os.environ, TFART_VERBOSE="1", TF_CPP_MIN_LOG_LEVEL="0")
    proc = subprocess.run([sys.executable, "-c", "import tfart; tfart.generators"], capture_output=True, text=True,
                          env=env, timeout=120)  # tfart's first use imports TensorFlow; `import tfart` does not
    assert proc.returncode == 0 and any(noise in proc.stderr for noise in TF_NOISE), proc.stderr


@pytest.mark.parametrize("args,line", [
    (["--width=-5"], "error: --width: must be at least 1 and at most 32768 (got '-5')"),
    (["--width", "big"], "error: --width: expected a whole number (got 'big')"),
    (["--generator", "gan"], "error: --generator: must be one of cppn, fourier_cppn (got 'gan')"),
    (["--colour=maybe"], "error: --colour: expected true or false (got 'maybe')"),
    (["--wdith", "5"], "error: --wdith: no such flag"),
    (["--fold", "1"], "error: --fold: must be 0 or at least 2 (got '1')"),
    (["extra"], "error: unexpected argument 'extra'"),
])
def test_usage_errors_are_one_line_and_exit_2(run_script, tmp_path, args, line):
    code, stdout, stderr = run_script("cppn_art", *args, "--out", str(tmp_path / "x"))
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith(line), stderr
    assert not (tmp_path / "x").exists()


def test_style_usage_errors(run_script):
    code, _, stderr = run_script("style_transfer")
    assert code == 2 and stderr == "error: --style: needs one or more style images\n"
    code, _, stderr = run_script("style_transfer", "--style", "a.png", "--upscale", "2")
    assert code == 2 and stderr.startswith("error: --upscale: pixel and fft are fixed-size images")


def test_out_png_is_that_file_with_its_sidecars(run_script, tmp_path):
    out = tmp_path / "art" / "x.png"
    code, stdout, stderr = run_script("cppn_art", "--out", str(out), "--width", "160", "--height", "96")
    assert code == 0, stderr
    assert Image.open(out).size == (160, 96)
    names = sorted(os.listdir(tmp_path / "art"))
    assert names[:2] == ["x.json", "x.png"] and names[2].startswith("x_") and names[2].endswith(".keras")
    assert len(names) == 3
    assert json.load(open(tmp_path / "art" / "x.json"))["model"] == names[2]


def test_out_gif_is_that_loop_with_its_still_beside_it(run_script, tmp_path):
    code, stdout, stderr = run_script("cppn_art", "--out", str(tmp_path / "loop.gif"), "--width", "24",
                                      "--height", "16", "--frames", "3")
    assert code == 0, stderr
    assert Image.open(tmp_path / "loop.gif").n_frames == 3 and (tmp_path / "loop.png").exists()
    code, _, stderr = run_script("render", "--recipe", str(tmp_path / "loop_loop.json"), "--width", "24",
                                 "--height", "16", "--out", str(tmp_path / "again"))
    assert code == 0, stderr
    assert Image.open(tmp_path / "again" / "render.gif").n_frames == 3
    code, _, stderr = run_script("render", "--recipe", str(tmp_path / "loop.json"), "--out",
                                 str(tmp_path / "a.jpg"))
    assert code == 2 and "tfart writes .png images and .gif/.mp4 animations" in stderr


def test_a_failed_run_leaves_nothing_behind(run_script, tmp_path):
    code, _, stderr = run_script("cppn_art", "--encoder", "nope", "--out", str(tmp_path / "bad" / "c3"))
    assert code == 2 and "error: --encoder:" in stderr
    assert not (tmp_path / "bad").exists()
    # Outputs that collide are found before anything is written.
    code, _, stderr = run_script("cppn_art", "--out", str(tmp_path / "d" / "x.png"), "--export",
                                 str(tmp_path / "d" / "x.png"), "--width", "8", "--height", "8")
    assert code == 2 and "error: --export:" in stderr and not (tmp_path / "d").exists()
    ckpt_blocker = tmp_path / "c" / "a_ckpt"
    ckpt_blocker.parent.mkdir()
    ckpt_blocker.write_text("a file where the checkpoints go")
    code, _, stderr = run_script("style_transfer", "--content", "noise:2", "--style", "noise:3", "--weights",
                                 "none", "--size", "40", "--steps", "2", "--out", str(tmp_path / "c" / "a.png"))
    assert code != 0 and stderr.startswith("error: "), stderr
    assert sorted(os.listdir(tmp_path / "c")) == ["a_ckpt"]


@pytest.mark.parametrize("command,args,line", [
    ("cppn_art", ["--seed=-1"], "error: --seed: must be between 0 and 2**32 - 1"),
    ("render", ["--seed=-3", "--model", "m"], "error: --seed: must be between 0 and 2**32 - 1"),
    ("render", [], "error: give exactly one of --model"),
    ("style_transfer", ["--style", "a.png", "--optimizer", "lbfgs", "--transforms", "standard"],
     "error: --optimizer lbfgs: needs a deterministic objective"),
    ("style_transfer", ["--style", "a.png,b.png", "--style_blend", "1"], "error: --style_blend: give one weight"),
    ("style_transfer", ["--style", "skimage:coffee,skimage:astronaut", "--style_blend", "0.7"],
     "error: --style_blend: give one weight"),  # values with colons: absl's prefix was left in
    ("style_transfer", ["--style", "a.png", "--backbone", "resnet"], "error: --backbone: must be one of vgg16, "),
    ("style_transfer", ["--style", "a.png", "--timelapse", "t.png"], "error: --timelapse: animations are"),
    ("style_transfer", ["--style", "a.png", "--content", "noise:x"], "error: --content: expected noise:G"),
    ("style_transfer", ["--style", "a.png", "--out", "a.jpg"], "error: --out: tfart writes .png images"),
])
def test_more_usage_errors_exit_2_before_any_work(run_script, command, args, line):
    code, _, stderr = run_script(command, *args)
    assert code == 2 and stderr.startswith(line), stderr


def test_a_recipe_with_bad_values_is_one_line(run_script, tmp_path):
    code, _, _ = run_script("cppn_art", "--out", str(tmp_path / "x.png"), "--width", "8", "--height", "8")
    recipe = json.load(open(tmp_path / "x.json"))
    json.dump(dict(recipe, bits=12), open(tmp_path / "bad.json", "w"))
    code, _, stderr = run_script("render", "--recipe", str(tmp_path / "bad.json"), "--out", str(tmp_path / "r.png"))
    assert code == 2 and stderr.startswith("error: --recipe:") and "bits 12" in stderr, stderr
    json.dump(dict(recipe, model="gone.keras"), open(tmp_path / "gone.json", "w"))
    code, _, stderr = run_script("render", "--recipe", str(tmp_path / "gone.json"), "--out", str(tmp_path / "r.png"))
    assert code == 2 and "the model 'gone.keras' it names is not beside it" in stderr, stderr


def test_a_second_run_never_replaces_the_first_unless_asked(run_script, tmp_path):
    small = ["--width", "16", "--height", "16", "--out", str(tmp_path)]
    assert run_script("cppn_art", *small)[0] == 0
    code, stdout, stderr = run_script("cppn_art", *small, "--encoder", "periodic", "--activation", "sin,tanh",
                                      "--init_scale", "4.5")
    assert code == 0, stderr
    first, second = json.load(open(tmp_path / "cppn_seed0.json")), json.load(open(tmp_path / "cppn_seed0-2.json"))
    assert first["generator"]["encoder"] == "ha" and second["generator"]["encoder"] == "periodic"
    assert (tmp_path / first["model"]).exists() and (tmp_path / second["model"]).exists()
    assert (tmp_path / "cppn_seed0.png").exists() and f"wrote {tmp_path / 'cppn_seed0-2.png'}" in stdout
    # --overwrite replaces the default name; an --out that names the file replaces that file.
    code, stdout, _ = run_script("cppn_art", *small, "--overwrite")
    assert code == 0 and f"wrote {tmp_path / 'cppn_seed0.png'}" in stdout and not (tmp_path / "cppn_seed0-3.png").exists()
    named = ["--width", "16", "--height", "16", "--out", str(tmp_path / "mine.png")]
    assert run_script("cppn_art", *named)[0] == 0 and run_script("cppn_art", *named, "--seed", "3")[0] == 0
    assert json.load(open(tmp_path / "mine.json"))["seed"] == 3 and not (tmp_path / "mine-2.png").exists()


def test_free_stem_skips_a_picture_and_its_sidecars(tmp_path):
    from tfart import cli
    assert cli.free_stem(str(tmp_path), "style") == "style"
    (tmp_path / "style_ckpt").mkdir()
    assert cli.free_stem(str(tmp_path), "style") == "style-2"  # a checkpoint folder is the run's too
    (tmp_path / "style-2.png").write_bytes(b"")
    assert cli.free_stem(str(tmp_path), "style") == "style-3"
    assert cli.free_stem(str(tmp_path / "new"), "style") == "style"


def test_a_missing_input_file_exits_2_like_a_bad_flag(run_script, tmp_path):
    code, _, stderr = run_script("style_transfer", "--content", str(tmp_path / "nope.png"), "--style", "noise:3",
                                 "--weights", "none", "--out", str(tmp_path / "a.png"))
    assert code == 2 and stderr.startswith("error: --content: no such image file"), stderr
    assert os.listdir(tmp_path) == []


def test_an_unwritable_out_names_the_file(run_script):
    code, _, stderr = run_script("cppn_art", "--out", "/proc/x.png", "--width", "8", "--height", "8")
    assert code == 2 and stderr.startswith("error: --out: cannot write '/proc/x.png'"), stderr


@pytest.mark.slow
def test_ctrl_c_keeps_the_current_image_and_says_where(tmp_path):
    photo = tmp_path / "p.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(photo)
    out = tmp_path / "st.png"
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "scripts", "style_transfer.py"), "--content", str(photo),
         "--style", str(photo), "--weights", "none", "--size", "40", "--steps", "100000",
         "--checkpoint_every", "0", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("step "):
            proc.send_signal(signal.SIGINT)
            break
    stdout, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(lines) + rest
    assert out.exists() and Image.open(out).size == (40, 40)
    assert stdout.startswith(f"wrote {out}")
    assert rest.splitlines()[-1].startswith("error: interrupted at step ")
    assert rest.splitlines()[-1].endswith(f"the current image is in {out}")


@pytest.mark.parametrize("module", ["cppn_art", "render", "style_transfer", "dream", "perceive", "train_latent",
                                    "studio"])
def test_help_and_a_typo_answer_before_tensorflow_loads(module):
    probe = ("import atexit, sys; atexit.register(lambda: print('tensorflow' in sys.modules)); "
             f"sys.argv = ['x'] + sys.argv[1:]; from tfart.commands.{module} import run; run()")
    for args, code in ((["--help"], 0), (["--widht", "1"], 2)):
        proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == code and proc.stdout.strip().endswith("False"), (args, proc.stdout, proc.stderr)

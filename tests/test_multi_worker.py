"""tfart-train-latent --strategy multi_worker with two real worker processes on loopback addresses."""
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "train_latent.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def images(tmp_path):
    """32 random 8 x 8 pictures: 4 global batches of 8, a tiny model's data."""
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(32):
        Image.fromarray((rng.random((8, 8, 3)) * 255).astype(np.uint8)).save(folder / f"{i}.png")
    return str(folder)


def args(images, out, epochs, *more):
    return [sys.executable, SCRIPT, "--data_dir", images, "--image_size", "8", "--latent_dim", "2",
            "--batch_size", "8", "--epochs", str(epochs), "--out", str(out), *more]


def start_workers(command, count=2, ports=None):
    """The same command in `count` processes, each with its TF_CONFIG: (processes, ports)."""
    ports = ports or [free_port() for _ in range(count)]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    processes = []
    for index in range(count):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        processes.append(subprocess.Popen(command + ["--strategy", "multi_worker"], env=env, cwd=ROOT, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    return processes, ports


def finish(processes, timeout=240):
    results = [p.communicate(timeout=timeout) for p in processes]
    return [(p.returncode, out, err) for p, (out, err) in zip(processes, results)]


def weights(folder):
    """{name: value} of the newest checkpoint in `folder`, without the bookkeeping."""
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(folder)))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "CHECKPOINTABLE" not in name and "save_counter" not in name}


def test_two_worker_processes_train_the_weights_one_process_trains(images, tmp_path):
    processes, _ = start_workers(args(images, tmp_path / "two", 2))
    for code, out, err in finish(processes):
        assert code == 0, err
    single = subprocess.run(args(images, tmp_path / "one", 2), cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert single.returncode == 0, single.stderr
    one, chief, other = (weights(tmp_path / "one" / "ckpt"), weights(tmp_path / "two" / "ckpt"),
                         weights(tmp_path / "two" / "worker-1" / "ckpt"))
    assert one.keys() == chief.keys() == other.keys() and len(one) > 10
    assert int(chief["optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"]) == 8  # 2 epochs of 4 global batches
    for name in one:
        np.testing.assert_allclose(chief[name], one[name], atol=1e-5, err_msg=name)
        np.testing.assert_array_equal(other[name], chief[name], err_msg=name)
    assert (tmp_path / "two" / "samples.png").exists() and not (tmp_path / "two" / "worker-1" / "samples.png").exists()


def test_a_killed_worker_and_a_restart_with_resume_end_at_the_same_step(images, tmp_path):
    out, epochs = tmp_path / "run", 40
    processes, ports = start_workers(args(images, out, epochs))
    kept = out / "worker-1" / "ckpt" / "ckpt-2.index"
    began = time.monotonic()
    while not kept.exists() and processes[1].poll() is None and time.monotonic() - began < 120:
        time.sleep(0.05)
    processes[1].kill()
    code, _, err = finish(processes[:1])[0]
    processes[1].communicate()
    assert code == 1 and "a worker stopped in epoch" in err and "--resume" in err, err
    assert err.strip().splitlines()[-1].startswith("error: --strategy multi_worker")

    processes, _ = start_workers(args(images, out, epochs, "--resume"), ports=[free_port(), free_port()])
    results = finish(processes)
    for code, stdout, err in results:
        assert code == 0 and "resuming after epoch" in stdout, err
    resumed_at = int(results[0][1].split("resuming after epoch ")[1].split()[0])
    assert 2 <= resumed_at < epochs
    for folder in (out / "ckpt", out / "worker-1" / "ckpt"):
        state = weights(folder)
        assert int(state["epoch/.ATTRIBUTES/VARIABLE_VALUE"]) == epochs
        assert int(state["optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"]) == epochs * 4  # no step lost or doubled


def test_a_worker_that_never_starts_ends_in_a_timeout_not_a_hang(images, tmp_path):
    processes, _ = start_workers(args(images, tmp_path / "alone", 1, "--worker_timeout", "3"), count=1,
                                 ports=[free_port(), free_port()])  # TF_CONFIG names two workers; one starts
    code, stdout, err = finish(processes, timeout=120)[0]
    assert code != 0 and "did not all start within 3 s (--worker_timeout)" in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "alone" / "samples.png").exists()

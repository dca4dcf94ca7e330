"""The CPPN VAE: shapes, the KL term, that it learns, its export, one step on 1 vs 2 replicas, and
tfart-train-latent end to end with its bad input."""
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfart import export, latent, monitors, rendering, vae
from tfart.generators import cppn


def test_shapes_and_the_decoder_renders_at_any_size():
    model = vae.VAE(image_size=16, channels=1, latent_dim=4)
    mean, log_variance = model.encoder(tf.zeros([3, 16, 16, 1]))
    assert mean.shape == log_variance.shape == (3, 4)
    z = tf.random.normal([3, 4], seed=1)
    assert model.decode(z).shape == (3, 16, 16, 1) and model.decode(z, size=40).shape == (3, 40, 40, 1)
    assert model.decoder.latent_dim == 4


def test_kl_term_equals_the_closed_form():
    rng = np.random.default_rng(0)
    mean, log_variance = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    variance = np.exp(log_variance)
    expected = 0.5 * np.sum(variance + mean ** 2 - 1 - log_variance, axis=1)
    np.testing.assert_allclose(vae.kl_divergence(tf.constant(mean, tf.float32), tf.constant(log_variance, tf.float32)),
                               expected, rtol=1e-5)


def test_reconstruction_is_the_summed_binary_cross_entropy():
    rng = np.random.default_rng(1)
    images, decoded = rng.uniform(size=(2, 3, 3, 1)), rng.uniform(0.01, 0.99, size=(2, 3, 3, 1))
    expected = -np.sum(images * np.log(decoded) + (1 - images) * np.log(1 - decoded), axis=(1, 2, 3))
    np.testing.assert_allclose(vae.binary_cross_entropy(tf.constant(images, tf.float32), tf.constant(decoded, tf.float32)),
                               expected, rtol=1e-5)


def test_the_loss_falls_on_a_tiny_data_set():
    keras.utils.set_random_seed(0)
    strategy = tf.distribute.get_strategy()
    model = vae.VAE(image_size=12, channels=1, latent_dim=4)
    step = vae.train_step(model, vae.optimizers(model, 3e-3), strategy, global_batch=32)
    data = list(vae.digits(12, 4).take(32).batch(32))
    losses = [float(step(*data[0])["loss"]) for _ in range(40)]
    assert losses[-1] < 0.7 * losses[0]


def test_the_exported_decoder_renders_the_same_pixels(tmp_path):
    model = vae.VAE(image_size=12, channels=3, latent_dim=4)
    path = export.export(model.decoder, str(tmp_path / "decoder"))
    loaded = export.load(path)
    z = np.random.default_rng(2).normal(size=(2, 4)).astype("float32")
    for size in (12, 30):
        np.testing.assert_allclose(rendering.render(loaded, size, size, z=z),
                                   model.decoder.image(size, size, z=z).numpy(), atol=1e-5)


REPLICAS = textwrap.dedent("""
    import sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from tfart import vae
    weights = []
    for devices in (["/cpu:0"], ["/cpu:0", "/cpu:1"]):
        strategy = tf.distribute.MirroredStrategy(devices)
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = vae.VAE(image_size=12, channels=1, latent_dim=4, gan=sys.argv[1] == "gan")
            optimizers = vae.optimizers(model, 1e-2)
        step = vae.train_step(model, optimizers, strategy, global_batch=16)
        data = strategy.experimental_distribute_dataset(vae.digits(12, 4).take(16).batch(16))
        losses = [float(step(*batch)["loss"]) for batch in data]
        print(len(devices), "replicas, loss", losses[0])
        weights.append([v.numpy() for v in model.trainable_variables + (model.discriminator.trainable_variables
                                                                         if model.discriminator else [])])
    print("max difference", max(float(np.abs(a - b).max()) for a, b in zip(*weights)))
""")


@pytest.mark.parametrize("kind", ["vae", "gan"])
def test_one_step_on_two_replicas_equals_one_step_on_one(kind):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", REPLICAS, kind], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    one, two = (float(line.split("loss ")[1]) for line in lines[:2])
    assert one == pytest.approx(two, rel=1e-5)
    assert float(lines[-1].split()[-1]) < 1e-5  # the same weights after the step


def test_train_latent_end_to_end_resume_and_export(run_script, tmp_path):
    out = tmp_path / "latent"
    code, stdout, stderr = run_script("train_latent", "--epochs", "1", "--image_size", "12", "--batch_size", "256",
                                      "--out", str(out), "--export", str(tmp_path / "decoder"), "--mixture", "5")
    assert code == 0, stderr
    assert (out / "samples.png").exists() and (tmp_path / "decoder" / "saved_model.pb").exists()
    assert "fitted a mixture of 5 Gaussians to the codes of the 1797 training images" in stdout
    assert len(export.load(str(tmp_path / "decoder")).mixture["weights"]) == 5
    code, stdout, stderr = run_script("train_latent", "--epochs", "2", "--image_size", "12", "--batch_size", "256",
                                      "--out", str(out), "--resume")
    assert code == 0 and "resuming after epoch 1" in stdout, stderr
    code, stdout, stderr = run_script("train_latent", "--epochs", "2", "--image_size", "12", "--batch_size", "256",
                                      "--out", str(out), "--resume")
    assert code == 2 and "error: --epochs: the checkpoint is at epoch 2 already" in stderr, stderr  # not a silent no-op
    code, stdout, stderr = run_script("train_latent", "--epochs", "3", "--image_size", "16", "--out", str(out), "--resume")
    assert code == 2 and stderr.strip().splitlines() == [stderr.strip()] and "is of another architecture" in stderr


def test_the_vae_gan_trains_its_discriminator_only_while_it_is_not_winning():
    keras.utils.set_random_seed(0)
    model = vae.VAE(image_size=12, channels=1, latent_dim=4, gan=True)
    optimizers = vae.optimizers(model, 1e-2)
    images, noise = next(iter(vae.digits(12, 4).take(16).batch(16)))
    discriminator = lambda: [v.numpy() for v in model.discriminator.trainable_variables]  # noqa: E731
    step = vae.train_step(model, optimizers, tf.distribute.get_strategy(), global_batch=16, balance=0.0)
    before = discriminator()
    losses = step(images, noise)
    assert set(losses) == {"loss", "reconstruction", "kl", "adversarial", "discriminator"}
    assert float(losses["loss"]) == pytest.approx(float(losses["reconstruction"] + losses["kl"])
                                                  + vae.GAN_WEIGHT * float(losses["adversarial"]), rel=1e-5)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, discriminator()))  # the first step always learns
    step = vae.train_step(model, optimizers, tf.distribute.get_strategy(), global_batch=16, balance=100.0)
    step(images, noise)
    before = discriminator()
    step(images, noise)  # the discriminator's last loss is under 100: it is winning, so it waits
    assert all(np.array_equal(a, b) for a, b in zip(before, discriminator()))


def test_a_resumed_vae_gan_balances_its_discriminator_as_the_uninterrupted_run_does(tmp_path):
    images, noise = next(iter(vae.digits(12, 4).take(16).batch(16)))

    def start():
        """A fresh VAE-GAN whose discriminator waits while its loss is under 100, and its checkpoint."""
        model = vae.VAE(image_size=12, channels=1, latent_dim=4, gan=True)
        optimizers = vae.optimizers(model, 1e-2)
        step = vae.train_step(model, optimizers, tf.distribute.get_strategy(), global_batch=16, balance=100.0)
        return model, step, tf.train.Checkpoint(**vae.checkpointed(model, optimizers, step))

    discriminator = lambda model: [v.numpy() for v in model.discriminator.trainable_variables]  # noqa: E731
    model, step, checkpoint = start()
    step(images, noise)  # the first step learns; its loss, about 1.4, is under 100
    path = checkpoint.save(str(tmp_path / "ckpt"))
    resumed, resumed_step, resumed_checkpoint = start()
    monitors.restore(resumed_checkpoint, path, "--resume")
    assert resumed_step.discriminator_loss.numpy() == step.discriminator_loss.numpy() < 100
    restored = discriminator(resumed)
    step(images, noise)
    resumed_step(images, noise)  # winning, so it waits, as the uninterrupted run's does
    assert all(np.array_equal(a, b) for a, b in zip(restored, discriminator(resumed)))
    assert all(np.array_equal(a, b) for a, b in zip(discriminator(model), discriminator(resumed)))


def test_render_draws_samples_and_walks_between_encoded_images(run_script, tmp_path):
    code, stdout, stderr = run_script("train_latent", "--epochs", "1", "--image_size", "12", "--batch_size", "256",
                                      "--gan", "--out", str(tmp_path / "latent"), "--export", str(tmp_path / "decoder"))
    assert code == 0, stderr
    assert export.load(str(tmp_path / "decoder")).prior == "normal"
    code, stdout, stderr = run_script("render", "--model", str(tmp_path / "decoder"), "--samples", "4",
                                      "--width", "20", "--height", "20", "--out", str(tmp_path / "samples.png"))
    assert code == 0, stderr
    assert Image.open(tmp_path / "samples.png").size == (2 * 20 + 3 * 4, 2 * 20 + 3 * 4)  # a 2 x 2 sheet
    digits = list(vae.digit_images(12).take(2).as_numpy_iterator())
    for i, digit in enumerate(digits):
        Image.fromarray((255 * digit[..., 0]).astype(np.uint8)).save(tmp_path / f"{i}.png")
    walk = ",".join(str(tmp_path / f"{i}.png") for i in range(2))
    code, stdout, stderr = run_script("render", "--model", str(tmp_path / "decoder"), "--walk", walk, "--frames", "4",
                                      "--width", "16", "--height", "16", "--out", str(tmp_path / "walk.gif"))
    assert code == 0, stderr
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (16, 16)
    (tmp_path / "notes.png").write_text("not an image")
    for args, message in [
        (["--walk", str(tmp_path / "0.png")], "--walk: give two or more images"),
        (["--walk", f"{tmp_path / '0.png'},{tmp_path / 'notes.png'}"], "--walk: cannot read"),
        (["--walk", walk, "--samples", "2"], "--samples: draws a still contact sheet"),
        (["--walk", walk, "--model", "saved_models/cppn_meadow"], "--walk: 'saved_models/cppn_meadow' has no encoder"),
    ]:
        model = [] if "--model" in args else ["--model", str(tmp_path / "decoder")]
        code, stdout, stderr = run_script("render", *model, *args, "--out", str(tmp_path / "bad.gif"))
        assert code in (1, 2) and len(stderr.strip().splitlines()) == 1 and message in stderr, (args, stderr)
        assert not (tmp_path / "bad.gif").exists()


def test_train_latent_reads_a_folder_and_counts_what_it_skips(run_script, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.fromarray(np.full((20, 30, 3), 60 * i, np.uint8)).save(photos / f"{i}.png")
    (photos / "notes.png").write_text("not an image")
    code, stdout, stderr = run_script("train_latent", "--data_dir", str(photos), "--image_size", "12", "--batch_size", "2",
                                      "--epochs", "1", "--out", str(tmp_path / "out"))
    assert code == 0, stderr
    assert "skipped 1 unreadable file" in stdout


@pytest.mark.parametrize("args, env, message", [
    (["--data_dir", "EMPTY"], {}, "--data_dir: no readable images in"),
    (["--data_dir", "MISSING"], {}, "--data_dir: no such folder"),
    (["--strategy", "multi_worker"], {"TF_CONFIG": "{}"}, "--strategy multi_worker: TF_CONFIG must name"),
    (["--resume"], {}, "--resume: no checkpoint in"),
    (["--image_size", "4"], {}, "--image_size: the encoder needs at least 8 px, got 4"),
    (["--gan_weight", "-1"], {}, "--gan_weight"),
    (["--mixture", "1800"], {}, "--mixture: 1800 components for 1797 training images"),
    (["--dataset", "glyphs", "--fonts", "EMPTY"], {}, "--fonts: no font that draws"),
    (["--fonts", "EMPTY"], {}, "--fonts: the fonts of --dataset glyphs; this run does not use them"),
])
def test_train_latent_bad_input(run_script, tmp_path, args, env, message, monkeypatch):
    (tmp_path / "empty").mkdir()
    args = [{"EMPTY": str(tmp_path / "empty"), "MISSING": str(tmp_path / "missing")}.get(a, a) for a in args]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, stdout, stderr = run_script("train_latent", *args, "--out", str(tmp_path / "out"))
    assert code in (1, 2) and len(stderr.strip().splitlines()) == 1 and message in stderr, stderr
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def decoder_file(tmp_path_factory):
    """An (untrained) VAE decoder saved as tfart-train-latent saves it."""
    model = vae.VAE(image_size=12, channels=1, latent_dim=4)
    return str(export.save_keras(model.decoder, str(tmp_path_factory.mktemp("latent") / "decoder.keras")))


def test_a_trained_decoder_is_rebuilt_for_a_batch_with_fresh_codes(decoder_file):
    saved = keras.saving.load_model(decoder_file)
    rebuilt = export.load_trained(decoder_file, batch=3, seed=5)
    assert rebuilt.z.shape == (3, 4) and rebuilt.prior == "normal"
    assert not np.allclose(rebuilt.z.numpy()[:1], saved.z.numpy())
    z = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    np.testing.assert_array_equal(rebuilt.image(20, 20, z=z), saved.image(20, 20, z=z))  # the same weights


def test_a_mixture_fitted_to_codes_finds_their_clusters_and_draws_from_them():
    rng = np.random.default_rng(0)
    codes = np.concatenate([rng.normal([5, 0], [0.5, 0.1], (300, 2)), rng.normal([-5, 2], [0.2, 1.0], (700, 2))])
    mixture = latent.fit_mixture(codes, 2)
    order = np.argsort(np.asarray(mixture["means"])[:, 0])[::-1]
    np.testing.assert_allclose(np.asarray(mixture["weights"])[order], [0.3, 0.7], atol=0.01)
    np.testing.assert_allclose(np.asarray(mixture["means"])[order], [[5, 0], [-5, 2]], atol=0.1)
    drawn = latent.random_codes(4000, 2, seed=1, prior=mixture)
    right = drawn[:, 0] > 0
    assert abs(right.mean() - 0.3) < 0.03
    np.testing.assert_allclose(drawn[right].std(0), [0.5, 0.1], rtol=0.1)
    np.testing.assert_allclose(drawn[~right].std(0), [0.2, 1.0], rtol=0.1)
    np.testing.assert_array_equal(drawn, latent.random_codes(4000, 2, seed=1, prior=mixture))  # seeded


def test_a_decoders_mixture_travels_with_it(tmp_path):
    """Fitted after training, the mixture is kept in the .keras file and the SavedModel export, and
    a latent search of the decoder starts from its codes."""
    decoder = vae.VAE(image_size=12, channels=1, latent_dim=4).decoder
    decoder.mixture = latent.fit_mixture(np.random.default_rng(0).normal(size=(50, 4)), 3)
    path = export.save_keras(decoder, str(tmp_path / "decoder.keras"))
    rebuilt = export.load_trained(path, batch=5, seed=7)
    assert rebuilt.mixture == decoder.mixture and latent.prior_of(rebuilt) == decoder.mixture
    np.testing.assert_allclose(rebuilt.z.numpy(), latent.random_codes(5, 4, 7, decoder.mixture), rtol=1e-6)
    export.export(decoder, str(tmp_path / "model"))
    assert latent.prior_of(export.load(str(tmp_path / "model"))) == decoder.mixture


def test_a_normal_priors_codes_stay_near_the_origin_when_optimized():
    generator = vae.VAE(image_size=12, channels=1, latent_dim=4).decoder
    optimizer = keras.optimizers.SGD(100.0)
    with tf.GradientTape() as tape:
        loss = -tf.reduce_sum(generator.z)  # pushes every code outwards
    optimizer.apply_gradients(zip(tape.gradient(loss, [generator.z]), [generator.z]))
    norms = np.linalg.norm(generator.z.numpy(), axis=-1)
    assert norms.max() == pytest.approx(cppn.PRIOR_RADIUS * 2.0, rel=1e-5)  # sqrt(4) = 2


def test_dream_searches_a_decoders_latent_space_with_its_weights_frozen(run_script, tmp_path, decoder_file):
    code, stdout, stderr = run_script("dream", "--mode", "visualize", "--generator", decoder_file, "--batch", "2",
                                      "--objective", "block2_conv1:3", "--size", "32", "--steps", "3",
                                      "--backbone", "vgg16", "--weights", "none", "--out", str(tmp_path / "v.png"),
                                      "--export", str(tmp_path / "found"))
    assert code == 0, stderr
    found, saved = export.load(str(tmp_path / "found")), keras.saving.load_model(decoder_file)
    z = np.random.default_rng(0).normal(size=(1, 4)).astype("float32")
    np.testing.assert_allclose(found.image(20, 20, z=z), saved.image(20, 20, z=z), atol=1e-6)  # weights frozen
    assert not np.allclose(found.default_z().numpy(), export.load_trained(decoder_file, 2).z.numpy())  # z moved


@pytest.mark.parametrize("generator, message", [
    ("MISSING.keras", "--generator: 'MISSING.keras' is not a .keras generator file"),
    ("GARBAGE", "is not a readable tfart .keras file: not a zip archive"),
    ("DECODER", "--generator: dream mode paints the photograph's pixels"),
])
def test_dream_generator_bad_input(run_script, tmp_path, decoder_file, generator, message):
    (tmp_path / "garbage.keras").write_text("not a model")
    path = {"GARBAGE": str(tmp_path / "garbage.keras"), "DECODER": decoder_file}.get(generator, generator)
    mode = ["--mode", "dream", "--image", "skimage:chelsea"] if generator == "DECODER" else ["--mode", "visualize"]
    code, stdout, stderr = run_script("dream", *mode, "--generator", path, "--backbone", "vgg16", "--weights", "none",
                                      "--out", str(tmp_path / "out" / "x.png"))
    assert code in (1, 2) and len(stderr.strip().splitlines()) == 1 and message in stderr, stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_train_latent_ctrl_c_names_the_checkpoint_to_resume_from(tmp_path):
    import signal
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, os.path.join(root, "scripts", "train_latent.py"), "--epochs", "30", "--image_size", "12",
         "--batch_size", "256", "--out", str(tmp_path / "latent")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("batch ") and "epoch 1/30" not in line:  # one bar for the run, epochs counted in it
            proc.send_signal(signal.SIGINT)
            break
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(lines) + rest
    assert lines[0].startswith("batch 1/210  epoch 1/30")
    assert "is kept: add --resume to go on from it" in rest.splitlines()[-1], rest

"""Your own network as the backbone, and Lucid's tools: aligned interpolation, neuron groups, caricature."""
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfart import backbones, groups, imaging, interpolation, jobs, networks, objectives, optimize
from tfart.errors import UserError


def toy_classifier():
    """A one-channel 32 x 32 classifier: three convolutions, then Flatten and a softmax."""
    import keras
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((32, 32, 1)),
        keras.layers.Conv2D(8, 3, activation="relu", padding="same", name="conv1"),
        keras.layers.MaxPooling2D(name="pool1"),
        keras.layers.Conv2D(16, 3, activation="relu", padding="same", name="conv2"),
        keras.layers.MaxPooling2D(name="pool2"),
        keras.layers.Conv2D(16, 3, activation="relu", padding="same", name="conv3"),
        keras.layers.Flatten(name="flat"), keras.layers.Dense(4, activation="softmax", name="probs")], name="toy")


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    model = toy_classifier()
    paths = {"keras": str(folder / "toy.keras"), "h5": str(folder / "toy.h5")}
    model.save(paths["keras"])
    model.save(paths["h5"])
    return paths


@pytest.fixture(scope="module")
def toy(model_files):
    return backbones.Backbone(model_files["keras"], ["conv2", "conv3"])


@pytest.fixture(scope="module")
def colour_toy(tmp_path_factory):
    """A three-channel convolutional network of any input size, with tanh features (they take
    both signs, so two random pictures' features are far from parallel)."""
    import keras
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((None, None, 3)),
        keras.layers.Conv2D(12, 3, padding="same", activation="tanh", name="conv1"),
        keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="tanh", name="conv2"),
        keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="tanh", name="conv3")])
    path = tmp_path_factory.mktemp("colour") / "colour.keras"
    model.save(path)
    return backbones.Backbone(str(path), ["conv2", "conv3"], input_range="-1,1")


@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_a_model_file_is_a_backbone_at_the_pictures_own_size(model_files, kind):
    backbone = backbones.Backbone(model_files[kind], ["conv1", "conv3"])
    assert backbone.grey and backbone.size is None  # the convolutions run at any size
    features = backbone(np.random.default_rng(0).uniform(size=(2, 40, 56, 3)).astype("float32"))
    assert features["conv1"].shape == (2, 40, 56, 8) and features["conv3"].shape == (2, 10, 14, 16)
    assert not backbone.model.trainable_variables
    # A one-channel model sees luminance: a colour and its grey look the same to it.
    colour = np.random.default_rng(1).uniform(size=(1, 32, 32, 3)).astype("float32")
    grey = np.repeat(colour @ np.array([0.299, 0.587, 0.114], np.float32), 3).reshape(colour.shape)
    np.testing.assert_allclose(backbone(colour)["conv3"], backbone(grey)["conv3"], atol=1e-5)
    # Its logits are the log of its softmax, the picture resized to its 32 x 32 input.
    with_logits = backbones.Backbone(model_files[kind], ["conv3", "logits"])
    assert with_logits.size == (32, 32)
    logits = with_logits(np.zeros((3, 50, 70, 3), np.float32))["logits"]
    np.testing.assert_allclose(tf.reduce_sum(tf.exp(logits), -1), 1.0, atol=1e-4)


def test_input_range_scales_what_the_model_sees(model_files):
    plain = backbones.Backbone(model_files["keras"], ["conv1"])
    image = np.full((1, 32, 32, 3), 0.5, np.float32)
    model = plain.model
    for text, value in (("0,1", 0.5), ("-1,1", 0.0), ("0,255", 127.5)):
        backbone = backbones.Backbone(model_files["keras"], ["conv1"], input_range=text)
        np.testing.assert_allclose(backbone(image)["conv1"], model(np.full((1, 32, 32, 1), value, np.float32))["conv1"],
                                   rtol=1e-5, atol=1e-5)


def test_the_flags_name_every_network_the_library_has():
    from tfart import cli
    assert cli.BACKBONES == tuple(networks.ARCHITECTURES)


def test_layers_and_defaults_of_a_model_file(model_files):
    layers = backbones.layers_of(model_files["h5"])
    assert list(layers.spatial) == ["conv1", "pool1", "conv2", "pool2", "conv3"] and layers.logits == 4
    assert layers.stages() == ["conv1", "conv2", "conv3"]
    assert layers.deep == "conv2" and layers.style == ("conv1", "conv2", "conv3")
    table = "\n".join(layers.table())
    assert "conv3" in table and "(1, 8, 8, 16)" in table and "logits" in table


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2", "efficientnet_b0", "convnext_tiny"])
def test_more_keras_applications_with_chosen_default_layers(name):
    layers = backbones.layers_of(name)
    backbone = backbones.Backbone(name, (layers.deep, *layers.style), weights=None)
    features = backbone(np.random.default_rng(0).uniform(size=(1, 64, 64, 3)).astype("float32"))
    assert all(len(f.shape) == 4 for f in features.values())
    assert len(layers.style) >= 4 and layers.deep in layers.style


def test_bad_model_files_get_one_line_each(tmp_path, model_files):
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    with pytest.raises(UserError, match=r"--backbone: cannot read .*notes.keras.* as a Keras model: not a zip"):
        backbones.Backbone(str(text), ["x"])
    png = tmp_path / "picture.h5"
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    with pytest.raises(UserError, match="not an HDF5 file"):
        backbones.Backbone(str(png), ["x"])
    saved = tmp_path / "exported"
    saved.mkdir()
    (saved / "saved_model.pb").write_bytes(b"")
    with pytest.raises(UserError, match=r"is a SavedModel folder; tfart reads a Keras model file"):
        backbones.Backbone(str(saved), ["x"])
    import keras
    vectors = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3)])
    vectors.save(tmp_path / "vectors.keras")
    with pytest.raises(UserError, match=r"--backbone: .*vectors.keras' has no image input: it takes \(None, 10\)"):
        backbones.Backbone(str(tmp_path / "vectors.keras"), ["x"])
    with pytest.raises(UserError, match=r"unknown backbone 'resnet9000'; choose from vgg16.*convnext_tiny, or give"):
        backbones.Backbone("resnet9000", ["x"])
    with pytest.raises(UserError, match=r"layers: unknown layer conv9 for toy.keras; valid layers: conv1"):
        backbones.Backbone(model_files["keras"], ["conv9"])
    with pytest.raises(UserError, match="--models: 'vectors' has no image input"):
        networks.Feed(vectors, "0,1", "vectors", "--models")
    with pytest.raises(UserError, match="--backbone: no such model file or keras.applications name"):
        backbones.Backbone(str(tmp_path / "missing.keras"), ["x"])


def test_one_loader_serves_the_classifiers(model_files):
    from tfart import classifiers
    judge = classifiers.Classifier(model_files["h5"], input_range="0,1")
    backbone = backbones.Backbone(model_files["h5"], ["logits"])
    image = np.random.default_rng(2).uniform(size=(1, 45, 45, 3)).astype("float32")
    np.testing.assert_allclose(judge(image), backbone(image)["logits"], rtol=1e-5, atol=1e-5)


def _frames(backbone, weight, parameterization="fft", steps=40):
    import keras
    keras.utils.set_random_seed(0)
    objective = objectives.interpolation(objectives.parse("conv3:1"), objectives.parse("conv3:5"), 5)
    if weight:
        objective = objective + weight * objectives.alignment("conv3")
    generator, lr = interpolation.generator(parameterization, 32, 5, seed=0)
    jobs.run(generator, objective, backbone, height=32, width=32, outputs=jobs.Outputs(progress=False),
             settings=optimize.Settings(steps=steps, lr=lr, train="both" if generator.latent_dim else "weights"))
    return generator.image(32, 32).numpy()


def test_the_alignment_penalty_lowers_the_change_between_neighbouring_frames(colour_toy):
    free, aligned = _frames(colour_toy, 0.0), _frames(colour_toy, 100.0)
    assert interpolation.frame_change(aligned) < 0.7 * interpolation.frame_change(free)
    # The morph still runs from one channel to the other.
    start, end = (colour_toy(frame)["conv3"].numpy().mean(axis=(0, 1, 2)) for frame in (aligned[:1], aligned[-1:]))
    assert start[1] - start[5] > end[1] - end[5]


def test_interpolated_cppn_frames_lie_on_a_line_between_two_codes():
    generator, _ = interpolation.generator("cppn", 16, 5, seed=3)
    codes = generator.codes().numpy()
    z = generator.inner.z.numpy()
    np.testing.assert_allclose(codes[0], z[0], atol=1e-6)
    np.testing.assert_allclose(codes[-1], z[1], atol=1e-6)
    np.testing.assert_allclose(codes[2], z.mean(0), atol=1e-6)
    frames = generator.image(16, 16).numpy()
    assert frames.shape == (5, 16, 16, 3) and interpolation.frame_change(frames) > 0
    assert {id(v) for v in generator.latent_variables} == {id(generator.inner.z)}
    # The frames between are the same network at codes between: frame 2 is the render at the mean code.
    np.testing.assert_allclose(frames[2], generator.inner.image(16, 16, z=z.mean(0, keepdims=True))[0], atol=1e-5)


def test_alignment_is_zero_for_a_batch_of_one_and_grows_with_difference():
    same = {"f": tf.ones((4, 2, 2, 3))}
    apart = {"f": tf.reshape(tf.range(4 * 12, dtype=tf.float32), (4, 2, 2, 3))}
    penalty = objectives.alignment("f")
    assert float(penalty(objectives.Context(None, same))) == 0.0
    assert float(penalty(objectives.Context(None, apart))) > 0.0
    assert float(penalty(objectives.Context(None, {"f": tf.ones((1, 2, 2, 3))}))) == 0.0


def test_nmf_groups_reconstruct_the_activations_better_than_a_random_split(toy):
    photo = imaging.load_image("skimage:chelsea", 64, "--image")
    features = toy(photo)["conv3"][0].numpy()
    found = groups.neuron_groups(features, 4, seed=0)
    assert found.spatial.shape == (*features.shape[:2], 4) and found.directions.shape == (4, 16)
    assert (found.spatial >= 0).all() and (found.directions >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(found.directions, axis=1), 1.0, atol=1e-5)
    randoms = [groups.random_split_error(features, 4, seed) for seed in range(5)]
    assert found.error < 0.8 * min(randoms), (found.error, randoms)
    sheet = groups.figure(photo[0], found, np.random.default_rng(0).uniform(size=(4, 24, 24, 3)))
    assert sheet.dtype == np.uint8 and sheet.shape[2] == 3
    with pytest.raises(UserError, match="--groups: choose 1 to 12 groups"):
        groups.neuron_groups(features, 13)


def test_the_caricatures_cosine_similarity_rises(colour_toy):
    toy = colour_toy
    from tfart import generators
    photo = imaging.load_image("skimage:chelsea", 48, "--image")
    height, width = photo.shape[1:3]
    generator = generators.make("fft", height, width, seed=0)
    before = objectives.cosine_similarity(toy, generator.image(height, width).numpy(), photo, "conv2")
    jobs.run(generator, objectives.caricature(toy, photo, "conv2"), toy, height=height, width=width,
             outputs=jobs.Outputs(progress=False), settings=optimize.Settings(steps=40, lr=0.05))
    after = objectives.cosine_similarity(toy, generator.image(height, width).numpy(), photo, "conv2")
    assert after > before + 0.5 and after > 0.7, (before, after)


# --- the commands ---------------------------------------------------------------------------------
TINY = ["--steps", "3", "--seed", "1"]


def _ok(run_script, *args):
    code, stdout, stderr = run_script(*args)
    assert code == 0, stderr[-2000:]
    return stdout


def test_dream_modes_and_style_transfer_through_an_h5_file_from_python(model_files, tmp_path):
    from tfart import dream, generators, style_transfer
    backbone = backbones.Backbone(model_files["h5"], ["conv2", "conv3"])
    photo = imaging.load_image("skimage:chelsea", 48, "--image")
    settings = optimize.Settings(steps=3, lr=0.05)
    dreamt = dream.deepdream(photo, objectives.layer("conv2"), backbone, settings,
                             jobs.Outputs(png=str(tmp_path / "dream.png"), progress=False), octaves=2)
    assert dreamt.stopped == "done"
    generator, lr = dream.visualization_generator("fft", 32, batch=3)
    atlas = sum(objectives.channel("conv3", c, batch=c) for c in range(3))
    for objective, name in ((objectives.parse("conv2:3"), "visualize"), (atlas, "atlas")):
        result = jobs.run(generator, objective, backbone, height=32, width=32, settings=settings,
                          outputs=jobs.Outputs(png=str(tmp_path / f"{name}.png"), progress=False))
        assert result.stopped == "done"
    style = style_transfer.objective(backbone, photo, [imaging.load_image("skimage:coffee", 48, "--style")],
                                     style_transfer.RECIPES["pixel"], ("conv2", "conv3"), ("conv3",))
    height, width = photo.shape[1:3]
    result = jobs.run(generators.make("pixel", height, width), style, backbone, height=height, width=width,
                      settings=settings, outputs=jobs.Outputs(png=str(tmp_path / "style.png"), progress=False))
    assert result.stopped == "done" and np.isfinite(result.losses).all()
    assert result.losses[-1] < result.losses[0]


def test_dream_visualize_and_style_transfer_through_model_files(run_script, model_files, tmp_path):
    own = ["--backbone", model_files["keras"]] + TINY
    _ok(run_script, "dream", "--mode", "dream", "--image", "skimage:chelsea", "--size", "48", "--octaves", "2",
        *own, "--out", str(tmp_path / "dream.png"))
    _ok(run_script, "dream", "--mode", "visualize", "--objective", "conv2:3 + class:1", "--backbone", model_files["h5"],
        *TINY, "--timelapse_every", "1", "--out", str(tmp_path / "visualize.gif"))
    _ok(run_script, "style_transfer", "--content", "skimage:chelsea", "--style", "skimage:coffee", "--size", "40", *own,
        "--out", str(tmp_path / "style.png"))
    gif = Image.open(tmp_path / "visualize.gif")
    pictures = {name: Image.open(tmp_path / f"{name}.png") for name in ("dream", "visualize", "style")}
    for name, picture in [*pictures.items(), ("visualize.gif", gif)]:
        # A one-channel network's pictures are written grey, its time-lapse too.
        rgb = np.asarray(picture.convert("RGB"), np.int16)
        assert np.abs(rgb[..., 0] - rgb[..., 1]).max() <= 1, name
    assert pictures["dream"].size[0] == 48 and gif.n_frames == 4
    assert pictures["visualize"].size == (32, 32)  # the model's own input size


def test_interpolate_groups_caricature_and_list_layers_through_a_model_file(run_script, model_files, tmp_path):
    own = ["--backbone", model_files["keras"]] + TINY
    listed = _ok(run_script, "dream", "--backbone", model_files["keras"], "--list_layers")
    assert "conv3" in listed and "(1, 8, 8, 16)" in listed and "defaults: dream --layers conv2" in listed
    assert "--style_layers conv1,conv2,conv3" in _ok(run_script, "style_transfer", "--backbone", model_files["keras"],
                                                      "--list_layers")
    out = _ok(run_script, "dream", "--mode", "interpolate", "--objective", "conv2:1", "--to", "conv3:2",
              "--frames", "3", *own, "--out", str(tmp_path / "morph.png"))
    assert "frame-to-frame change" in out and Image.open(tmp_path / "morph.gif").n_frames == 4  # 3 there, 1 back
    assert Image.open(tmp_path / "morph.png").size[0] > 3 * 32  # one row of three frames
    out = _ok(run_script, "dream", "--mode", "groups", "--image", "skimage:chelsea", "--layer", "conv3",
              "--groups", "3", "--size", "64", *own, "--out", str(tmp_path / "groups.png"))
    assert "relative reconstruction error" in out and (tmp_path / "groups.png").exists()
    out = _ok(run_script, "dream", "--mode", "caricature", "--image", "skimage:chelsea", "--size", "48",
              "--layer", "conv2", "--parameterization", "hashgrid", *own, "--out", str(tmp_path / "caricature.png"))
    assert "cosine similarity to the photograph at conv2" in out
    assert Image.open(tmp_path / "caricature.png").size == (48, 32)


def test_bad_backbone_input_gets_one_line_and_writes_nothing(run_script, model_files, tmp_path):
    out = tmp_path / "x.png"
    for args, message in (
            (["--objective", "flat:0"], "flat of toy.keras has no spatial output"),
            (["--weights", "hed"], "--weights: --backbone"),
            (["--mode", "interpolate", "--objective", "conv2:1"], "--to: interpolate mode needs")):
        code, _, stderr = run_script("dream", "--backbone", model_files["keras"], *args, *TINY, "--out", str(out))
        assert code != 0 and message in stderr, (args, stderr[-800:])
        assert len(stderr.strip().splitlines()[-1]) < 400 and not out.exists() and not out.with_suffix(".gif").exists()

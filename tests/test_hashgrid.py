import keras
import numpy as np
import pytest
import tensorflow as tf

from tfart import coords, export, jobs, objectives, optimize, rendering
from tfart.errors import UserError
from tfart.generators import HashGrid
from tfart.generators.hashgrid import corner_index


def small(**kwargs):
    """Six levels from 2 to 40 cells, tables of 256: the first three dense, the rest hashed."""
    return HashGrid(**{"levels": 6, "log2_table": 8, "coarsest": 2, "finest": 40, "hidden": 16,
                       "table_scale": 1.0, "latent_dim": 3, "seed": 1, **kwargs})


def test_a_tiled_render_is_bit_identical_to_the_whole():
    g = small(batch=2)
    assert g.table_sizes[:3] == [(n + 1) ** 2 for n in g.cells[:3]] and g.table_sizes[-1] == 256
    whole = g.image(37, 53).numpy()
    assert whole.shape == (2, 37, 53, 3) and whole.std() > 0.05
    for tile in (5, 16, 40):
        np.testing.assert_array_equal(rendering.render(g, 37, 53, tile=tile), whole)


def test_the_hash_is_deterministic_and_a_point_has_one_feature_whatever_its_tile():
    i = tf.constant([0, 5, -3, 1000, 5], tf.int64)
    j = tf.constant([0, 7, 2, -1000, 7], tf.int64)
    rows = corner_index(i, j, 40, 256).numpy()
    assert rows[1] == rows[4] and (rows >= 0).all() and (rows < 256).all()
    np.testing.assert_array_equal(rows, corner_index(i, j, 40, 256).numpy())
    # A dense level stores the central square's corners row by row, and hashes the wings.
    dense = corner_index(tf.constant([0, 5, 7], tf.int64), tf.constant([0, 4, 0], tf.int64), 6, 49).numpy()
    assert dense[:2].tolist() == [0, 5 + 4 * 7] and 0 <= dense[2] < 49
    g = small()
    whole = g.encode(coords.grid(30, 45)).numpy()
    tile = g.encode(coords.grid(30, 45, 11, 20, 7, 9)).numpy()
    np.testing.assert_array_equal(tile, whole[11:18, 20:29])


def test_gradients_reach_every_table_level():
    g = small()
    target = tf.random.uniform([1, 24, 24, 3], seed=3)
    loss, _, grads = optimize.loss_and_gradients(
        lambda: objectives.reconstruction(target).terms(objectives.Context(image=g.image(24, 24), features={})),
        g.tables)
    assert len(grads) == g.levels
    assert all(float(tf.reduce_max(tf.abs(grad))) > 0 for grad in grads)


def test_export_round_trip_renders_the_same_pixels_at_two_sizes(tmp_path):
    g = small()
    loaded = export.load(export.export(g, str(tmp_path / "model")))
    for height, width in ((24, 40), (64, 48)):
        np.testing.assert_array_equal(rendering.render(loaded, height, width, tile=16),
                                      g.image(height, width).numpy())


@pytest.mark.parametrize("kwargs,flag", [({"levels": 0}, "--levels"), ({"log2_table": 40}, "--log2_table"),
                                         ({"level_features": 2.5}, "--level_features"),
                                         ({"coarsest": 64, "finest": 16}, "--finest"),
                                         ({"table_scale": 0.0}, "--table_scale")])
def test_bad_settings_name_their_flag(kwargs, flag):
    with pytest.raises(UserError, match=flag):
        HashGrid(**kwargs)


def test_the_job_factory_gives_the_finest_level_one_cell_per_pixel():
    from tfart import generators
    assert generators.make("hashgrid", 48, 32).finest == 32
    assert generators.make("hashgrid", 48, 32, finest=100).finest == 100
    assert generators.make("hashgrid", 4, 4).finest == 8  # never below the coarsest level


def test_an_offset_samples_the_picture_between_the_pixel_centres():
    g = small()
    quarter = g.image(20, 30, offset=(0.25, 0.25)).numpy()
    np.testing.assert_allclose(quarter, g.image(40, 60).numpy()[:, 1::2, 1::2], atol=1e-5)
    np.testing.assert_array_equal(g.image(20, 30, offset=(0.0, 0.0)).numpy(), g.image(20, 30).numpy())
    # Supersampled, the offset moves all s x s samples of a pixel by the same canvas distance.
    samples = g.image(40, 60, offset=(0.5, -0.5)).numpy()
    means = samples.reshape(-1, 20, 2, 30, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(g.image(20, 30, supersample=2, offset=(0.25, -0.25)).numpy(), means, atol=1e-5)


def test_subpixel_optimization_trains_what_lies_between_the_pixel_centres():
    """One cell per pixel: a pixel centre sees the mean of its cell's four corners, so a chequer of
    corner values costs nothing there, and shows at every other point. Fitting a flat grey picture
    with sampling at the centres leaves the start's chequer; random points within the pixels remove it."""
    grey = np.full((1, 16, 16, 3), 0.5, np.float32)

    def loop(g, subpixel):
        optimize.optimize(g, objectives.reconstruction(grey), None, 16, 16,
                          optimize.Settings(steps=300, lr=0.02, subpixel=subpixel))

    def job_fit(g, subpixel):  # a job's content fit samples as the job's settings say
        jobs.run(g, objectives.reconstruction(grey), None, height=16, width=16,
                 settings=optimize.Settings(steps=0, subpixel=subpixel),
                 outputs=jobs.Outputs(progress=False), init=jobs.Init(grey, fit_steps=300, fit_lr=0.02))

    def roughness_at_4x(fit, subpixel):
        keras.utils.set_random_seed(0)  # the offsets drawn
        g = HashGrid(levels=1, coarsest=16, finest=16, log2_table=10, hidden=16, table_scale=1.0, latent_dim=0)
        fit(g, subpixel)
        centres = g.image(16, 16).numpy()
        assert abs(centres - 0.5).max() < 0.05  # both fit the grey where they sampled it
        return float(g.image(64, 64).numpy().std())
    for fit in (loop, job_fit):
        assert roughness_at_4x(fit, True) < 0.25 * roughness_at_4x(fit, False), fit.__name__


def reference_encode(xy, cells_per_level, log2_table, tables, stagger=False):
    """encode() in plain numpy/Python from the module's documented definitions, for the test below.

    xy [N, 2] float32; tables: one [rows, F] array per level. Corner indices are Python ints, whose
    XOR on negatives is two's complement like int64's, and `%` by a positive size is a floor mod.
    Also returns which kinds of corner rows were used, so the test can check it exercised them all.
    """
    prime = 2654435761
    features, kinds = [], set()
    for cells, table in zip(cells_per_level, tables):
        side = cells + 1
        size = min(2 ** log2_table, side * side)
        assert table.shape[0] == size
        dense_level = side * side <= size

        def row(i, j):
            if dense_level and 0 <= i <= cells and 0 <= j <= cells:
                kinds.add("dense")
                return i + side * j
            kinds.add("hashed, negative" if min(i, j) < 0 else "hashed")
            return (i ^ (j * prime)) % size
        level = np.zeros((len(xy), table.shape[1]))
        for n, (x, y) in enumerate(xy):
            # float32 arithmetic, as in the generator, so that floor() picks the same cell
            shift = np.float32(0.5 if stagger else 0.0)  # half a cell, with stagger
            px = (np.float32(x) + np.float32(1.0)) * np.float32(cells / 2.0) + shift
            py = (np.float32(y) + np.float32(1.0)) * np.float32(cells / 2.0) + shift
            i, j = int(np.floor(px)), int(np.floor(py))
            tx, ty = float(px) - i, float(py) - j
            c00, c10 = table[row(i, j)], table[row(i + 1, j)]
            c01, c11 = table[row(i, j + 1)], table[row(i + 1, j + 1)]
            top = (1 - tx) * c00 + tx * c10        # along x at the cell's first row of corners
            bottom = (1 - tx) * c01 + tx * c11     # ... and at its second
            level[n] = (1 - ty) * top + ty * bottom  # then along y
        features.append(level)
    return np.concatenate(features, axis=-1), kinds


@pytest.mark.parametrize("stagger", [False, True])
def test_encode_matches_a_numpy_reference_on_dense_and_hashed_levels_and_a_wide_canvas(stagger):
    """An independent reference, not the generator against itself: a vertical blend by tx, a hash
    of (j, i) or a dense row j + side * i all change the features."""
    # Cells 3, 7, 16, 39 with tables of 64: level 0 dense, level 1 dense with (7 + 1)^2 == 64 exactly,
    # levels 2 and 3 hashed.
    g = HashGrid(levels=4, log2_table=6, level_features=2, coarsest=3, finest=39, hidden=8, latent_dim=0,
                 stagger=stagger)
    assert g.cells == [3, 7, 16, 39] and g.table_sizes == [16, 64, 64, 64]
    rng = np.random.default_rng(26)
    tables = [rng.uniform(-1.0, 1.0, size=(size, 2)).astype(np.float32) for size in g.table_sizes]
    for variable, values in zip(g.tables, tables):
        variable.assign(values)
    # Random points on a 5:2 wide canvas (x to +-2.5: the wings, negative corners), a few beyond
    # y = +-1, and the central square's corners and edges, where the dense rows end.
    points = np.concatenate([
        rng.uniform([-2.5, -1.0], [2.5, 1.0], size=(200, 2)),
        rng.uniform([-1.0, -1.6], [1.0, 1.6], size=(40, 2)),
        [[-1, -1], [1, 1], [1, -1], [-1, 1], [0, 0], [1, 0.3], [-0.4, 1], [-7.3, 0.2], [2.9, -3.1]],
    ]).astype(np.float32)
    expected, kinds = reference_encode(points, g.cells, g.log2_table, tables, stagger)
    assert kinds == {"dense", "hashed", "hashed, negative"}
    got = g.encode(tf.constant(points)).numpy()
    assert got.shape == (len(points), 4 * 2)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    # The same points laid out as an image [H, W, 2] give the same features.
    np.testing.assert_allclose(g.encode(tf.constant(points[:240].reshape(12, 20, 2))).numpy(),
                               expected[:240].reshape(12, 20, 8), rtol=0, atol=1e-6)

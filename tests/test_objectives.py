import numpy as np
import pytest
import tensorflow as tf

from tfart import objectives
from tfart.errors import UserError
from tfart.objectives import Context


class FakeBackbone:
    """Features are fixed random projections of the image: enough to check the loss arithmetic."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.w = {"a": rng.normal(size=(3, 4)).astype("float32"), "b": rng.normal(size=(3, 6)).astype("float32")}

    def __call__(self, image):
        image = tf.convert_to_tensor(image)
        return {"a": tf.einsum("bhwc,cd->bhwd", image, self.w["a"]),
                "b": tf.nn.relu(tf.einsum("bhwc,cd->bhwd", image[:, ::2, ::2], self.w["b"]))}


def numpy_features(backbone, image):
    image = np.asarray(image, np.float64)
    return {"a": np.einsum("bhwc,cd->bhwd", image, backbone.w["a"].astype(np.float64)),
            "b": np.maximum(0, np.einsum("bhwc,cd->bhwd", image[:, ::2, ::2], backbone.w["b"].astype(np.float64)))}


def numpy_gram(f):
    b, h, w, c = f.shape
    flat = f.reshape(b, h * w, c)
    return np.einsum("bnc,bnd->bcd", flat, flat) / (c * h * w)


rng = np.random.default_rng(1)
IMAGE = rng.uniform(size=(1, 12, 10, 3)).astype("float32")
STYLE_A = rng.uniform(size=(1, 16, 16, 3)).astype("float32")
STYLE_B = rng.uniform(size=(1, 8, 20, 3)).astype("float32")
TARGET = rng.uniform(size=(1, 12, 10, 3)).astype("float32")


def ctx(backbone, image=IMAGE):
    return Context(image=tf.constant(image), features=backbone(image))


def test_gram_matches_float64_reference():
    f = rng.normal(size=(2, 5, 7, 4)).astype("float32")
    np.testing.assert_allclose(objectives.gram(tf.constant(f)).numpy(), numpy_gram(f.astype(np.float64)), rtol=1e-5)


def test_style_loss_matches_float64_reference_with_blend_and_layer_weights():
    bb = FakeBackbone()
    loss = objectives.style(bb, [STYLE_A, STYLE_B], ["a", "b"], blend=[3, 1], layer_weights=[0.25, 2.0])
    fa, fb, fx = numpy_features(bb, STYLE_A), numpy_features(bb, STYLE_B), numpy_features(bb, IMAGE)
    expected = 0.0
    for layer, weight in (("a", 0.25), ("b", 2.0)):
        target = 0.75 * numpy_gram(fa[layer]) + 0.25 * numpy_gram(fb[layer])
        expected += weight * np.mean((numpy_gram(fx[layer]) - target) ** 2)
    np.testing.assert_allclose(float(loss(ctx(bb))), expected, rtol=1e-4)


def test_content_loss_matches_float64_reference():
    bb = FakeBackbone()
    loss = objectives.content(bb, TARGET, ["a", "b"])
    ft, fx = numpy_features(bb, TARGET), numpy_features(bb, IMAGE)
    expected = np.mean([np.mean((fx[k] - ft[k]) ** 2) for k in ("a", "b")])
    np.testing.assert_allclose(float(loss(ctx(bb))), expected, rtol=1e-5)


def test_total_variation_and_reconstruction():
    bb = FakeBackbone()
    flat = np.full((1, 6, 6, 3), 0.3, np.float32)
    assert float(objectives.total_variation()(ctx(bb, flat))) == 0.0
    expected = np.mean(np.diff(IMAGE, axis=1) ** 2) + np.mean(np.diff(IMAGE, axis=2) ** 2)
    np.testing.assert_allclose(float(objectives.total_variation()(ctx(bb))), expected, rtol=1e-5)
    np.testing.assert_allclose(float(objectives.reconstruction(TARGET)(ctx(bb))), np.mean((IMAGE - TARGET) ** 2), rtol=1e-5)


def test_objectives_compose_like_numbers_and_keep_their_terms():
    bb = FakeBackbone()
    c, s, tv = objectives.content(bb, TARGET, ["a"]), objectives.style(bb, [STYLE_A], ["b"]), objectives.total_variation()
    combined = 2 * c + s * 0.5 - tv
    terms = combined.terms(ctx(bb))
    assert set(terms) == {"content", "style", "tv"}
    np.testing.assert_allclose(float(terms["content"]), 2 * float(c(ctx(bb))), rtol=1e-6)
    np.testing.assert_allclose(float(combined(ctx(bb))),
                               2 * float(c(ctx(bb))) + 0.5 * float(s(ctx(bb))) - float(tv(ctx(bb))), rtol=1e-5)
    assert set(combined.layers) == {"a", "b"}
    assert float(sum([c, s])(ctx(bb))) == pytest.approx(float(c(ctx(bb))) + float(s(ctx(bb))), rel=1e-5)


def test_bad_weights_are_refused():
    bb = FakeBackbone()
    with pytest.raises(UserError, match="NaN"):
        objectives.total_variation() * float("nan")
    with pytest.raises(UserError, match="--style_blend"):
        objectives.style(bb, [STYLE_A], ["a"], blend=[1, 2])
    with pytest.raises(UserError, match="--style_blend"):
        objectives.style(bb, [STYLE_A, STYLE_B], ["a"], blend=[-1, 2])


def test_style_layer_weights_must_match_the_layers():
    bb = FakeBackbone()
    for weights in ([1.0], [], [1.0, 2.0, 3.0]):  # zip() used to drop layers silently
        with pytest.raises(UserError, match=f"{len(weights)} weights for 2 style layers"):
            objectives.style(bb, [STYLE_A], ["a", "b"], layer_weights=weights)
    one_layer = objectives.style(bb, [STYLE_A], ["b"])
    both = objectives.style(bb, [STYLE_A], ["a", "b"], layer_weights=[0.0, 1.0])
    np.testing.assert_allclose(float(both(ctx(bb))), float(one_layer(ctx(bb))), rtol=1e-6)


def test_terms_of_the_same_name_add_up_and_keep_their_names():
    bb = FakeBackbone()
    a, b = objectives.content(bb, TARGET, ["a"]), objectives.content(bb, STYLE_A[:, :12, :10], ["b"])
    terms = (a + b).terms(ctx(bb))
    assert set(terms) == {"content"}
    np.testing.assert_allclose(float(terms["content"]), float(a(ctx(bb))) + float(b(ctx(bb))), rtol=1e-6)
    names = {next(iter(o.terms(ctx(bb)))) for o in (objectives.reconstruction(TARGET), objectives.style(
        bb, [STYLE_A], ["a"]), objectives.total_variation(), a)}
    assert names == {"reconstruction", "style", "tv", "content"}  # what the progress line and TensorBoard show


def test_style_defaults_average_the_layers_and_blend_by_share():
    bb = FakeBackbone()
    per_layer = [float(objectives.style(bb, [STYLE_A], [layer])(ctx(bb))) for layer in ("a", "b")]
    both = float(objectives.style(bb, [STYLE_A], ["a", "b"])(ctx(bb)))
    np.testing.assert_allclose(both, np.mean(per_layer), rtol=1e-6)  # 1/len(layers) each
    only_a = float(objectives.style(bb, [STYLE_A], ["a"])(ctx(bb)))
    np.testing.assert_allclose(float(objectives.style(bb, [STYLE_A, STYLE_B], ["a"], blend=[2, 0])(ctx(bb))),
                               only_a, rtol=1e-6)  # a zero weight is allowed and drops that image
    with pytest.raises(UserError, match="positive sum"):
        objectives.style(bb, [STYLE_A, STYLE_B], ["a"], blend=[0, 0])


def test_empty_layer_lists_name_their_flag():
    bb = FakeBackbone()
    with pytest.raises(UserError, match="--content_layers: give at least one layer"):
        objectives.content(bb, TARGET, [])
    with pytest.raises(UserError, match="--style_layers: give at least one layer"):
        objectives.style(bb, [STYLE_A], [])

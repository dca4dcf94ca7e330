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


# --- text() and parse(): an objective built in code reads back as itself -------------------------
def a_b_c():
    """Three objectives with a text form, over FakeBackbone's layers."""
    return objectives.channel("a", 1), objectives.neuron("b", 2), objectives.layer("a")


def assert_reads_back(objective):
    """parse(objective.text()) writes the same text and has the same value, bit for bit."""
    text = objective.text()
    parsed = objectives.parse(text)
    assert parsed.text() == text
    context = ctx(FakeBackbone())
    assert float(parsed(context)) == float(objective(context)), text


@pytest.mark.parametrize("build, text", [
    (lambda a, b, c: 2 * (a + b), "2*(a:1 + neuron:b:2)"),
    (lambda a, b, c: -(a + b), "-(a:1 + neuron:b:2)"),
    (lambda a, b, c: 0.5 * (2 * a), "0.5*2*a:1"),
    (lambda a, b, c: c - 2 * (a - b), "dream:a - 2*(a:1 - neuron:b:2)"),
    (lambda a, b, c: c - (a + b), "dream:a - (a:1 + neuron:b:2)"),
    (lambda a, b, c: 3 * -a + c, "3*(-a:1) + dream:a"),
    (lambda a, b, c: -a, "-a:1"),
    (lambda a, b, c: (1 / 3) * a, "0.3333333333333333*a:1"),
    (lambda a, b, c: 1.2345678e-7 * a - 1e20 * b, "1.2345678e-07*a:1 - 1e+20*neuron:b:2"),
    (lambda a, b, c: 0.5 * a - 2 * b + c, "0.5*a:1 - 2*neuron:b:2 + dream:a"),  # simple texts stay as they were
])
def test_text_of_an_objective_built_in_code_parses_back_to_it(build, text):
    objective = build(*a_b_c())
    assert objective.text() == text
    assert_reads_back(objective)


def test_text_round_trips_for_random_compositions():
    import random
    draw = random.Random(0)
    weights = [1, -1, 2, 0.5, -0.25, 1 / 3, -1.2345678e-7, 0.0, -0.0, 1e20]

    def build(depth):
        a, b, c = a_b_c()
        pick = draw.random()
        if depth == 0 or pick < 0.3:
            return draw.choice([a, b, c])
        if pick < 0.6:
            return draw.choice(weights) * build(depth - 1)
        if pick < 0.7:
            return -build(depth - 1)
        return build(depth - 1) + build(depth - 1) if pick < 0.85 else build(depth - 1) - build(depth - 1)
    for _ in range(40):
        assert_reads_back(build(4))


def test_objectives_without_a_text_form_are_refused_by_parse_not_misread():
    bb = FakeBackbone()
    for objective in (objectives.content(bb, TARGET, ["a"]), objectives.style(bb, [STYLE_A], ["b"]),
                      objectives.total_variation(), objectives.reconstruction(TARGET), objectives.diversity("a"),
                      objectives.direction("a", [1.0, 0, 0, 0]), objectives.channel("a", 1, batch=0),
                      objectives.channel("a", 1) + 0.5 * objectives.diversity("a")):
        with pytest.raises(UserError, match="^--objective: cannot read"):
            objectives.parse(objective.text())
    with pytest.raises(UserError, match="weight is infinite"):
        float("inf") * objectives.channel("a", 1)


@pytest.mark.parametrize("text, quoted", [
    ("2*(a:1 + a:2", "'(a:1 + a:2' at column 3 of '2*(a:1 + a:2'; expected ')'"),
    ("a:1) + a:2", "') + a:2' at column 4 of 'a:1) + a:2'; this ')' has no '('"),
    ("2*()", "')' at column 4"), ("-(a:1 a:2)", "'a:2)' at column 7"), ("1e999*a:1", "weight '1e999'"),
])
def test_parentheses_that_do_not_read_are_quoted(text, quoted):
    with pytest.raises(UserError, match="^--objective: ") as error:
        objectives.parse(text)
    assert quoted in str(error.value) and "\n" not in str(error.value)

"""Feature-visualization objectives against numpy references, the --objective grammar, and checks."""
import numpy as np
import pytest
import tensorflow as tf

from tfart import backbones, objectives
from tfart.errors import UserError
from tfart.objectives import LOGITS, Context

rng = np.random.default_rng(3)
W1 = rng.normal(size=(3, 5)).astype("float32")   # a 1x1 convolution: 5 channels
W2 = rng.normal(size=(5, 7)).astype("float32")   # logits of 7 classes from the pooled channels
IMAGES = rng.uniform(size=(3, 6, 8, 3)).astype("float32")


def tiny_model():
    """A hand-made network: conv = relu(image @ W1) at every pixel; logits = mean(conv) @ W2."""
    inputs = tf.keras.Input((None, None, 3))
    conv = tf.keras.layers.Conv2D(5, 1, use_bias=False, activation="relu", name="conv")(inputs)
    logits = tf.keras.layers.Dense(7, use_bias=False, name="head")(tf.keras.layers.GlobalAveragePooling2D()(conv))
    model = tf.keras.Model(inputs, {"conv": conv, LOGITS: logits})
    model.get_layer("conv").set_weights([W1[None, None]])
    model.get_layer("head").set_weights([W2])
    return model


def numpy_features(images):
    conv = np.maximum(0, images.astype(np.float64) @ W1.astype(np.float64))
    return conv, conv.mean(axis=(1, 2)) @ W2.astype(np.float64)


def value(objective, images=IMAGES):
    return float(objective(Context(image=tf.constant(images), features=tiny_model()(images))))


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_each_objective_equals_its_numpy_reference():
    conv, logits = numpy_features(IMAGES)
    vector = rng.normal(size=5).astype("float32")
    cases = {
        "channel": (objectives.channel("conv", 2), -conv[..., 2].mean()),
        "channel of member 1": (objectives.channel("conv", 2, batch=1), -conv[1, ..., 2].mean()),
        "neuron": (objectives.neuron("conv", 4), -conv[:, 3, 4, 4].mean()),
        "layer": (objectives.layer("conv"), -(conv ** 2).mean()),
        "direction": (objectives.direction("conv", vector), -(conv @ vector.astype(np.float64)).mean()),
        "class logit": (objectives.class_logit(6), -logits[:, 6].mean()),
        "class probability": (objectives.class_probability(6, batch=2), -softmax(logits)[2, 6]),
    }
    for name, (objective, expected) in cases.items():
        assert value(objective) == pytest.approx(expected, rel=1e-5, abs=1e-6), name


def test_diversity_is_the_mean_cosine_similarity_of_the_members_gram_matrices():
    conv, _ = numpy_features(IMAGES)
    flat = conv.reshape(3, -1, 5)
    grams = np.einsum("bnc,bnd->bcd", flat, flat).reshape(3, -1)
    grams /= np.linalg.norm(grams, axis=1, keepdims=True)
    pairs = [grams[i] @ grams[j] for i in range(3) for j in range(3) if i != j]
    assert value(objectives.diversity("conv")) == pytest.approx(np.mean(pairs), rel=1e-5)
    same = np.repeat(IMAGES[:1], 3, axis=0)
    assert value(objectives.diversity("conv"), same) == pytest.approx(1.0, rel=1e-5)  # identical members


def test_composition_adds_and_scales_the_values():
    conv, _ = numpy_features(IMAGES)
    objective = 0.5 * objectives.channel("conv", 1) - objectives.channel("conv", 3)
    assert value(objective) == pytest.approx(-0.5 * conv[..., 1].mean() + conv[..., 3].mean(), rel=1e-5)
    assert objective.units == (("conv", 1), ("conv", 3)) and objective.layers == ("conv",)


@pytest.mark.parametrize("text, canonical", [
    ("mixed4:97", "mixed4:97"),
    ("neuron:mixed4:97", "neuron:mixed4:97"),
    ("0.5*block4_conv2:12 - block4_conv2:7", "0.5*block4_conv2:12 - block4_conv2:7"),
    ("class:404", "class:404"),
    (" dream:mixed3+2 * probability:3-0.25*neuron:conv:1 ", "dream:mixed3 + 2*probability:3 - 0.25*neuron:conv:1"),
    ("1e-2*conv:3", "0.01*conv:3"),
])
def test_grammar_round_trips(text, canonical):
    parsed = objectives.parse(text)
    assert parsed.text() == canonical
    assert objectives.parse(canonical).text() == canonical


def test_parsed_objective_has_the_value_of_the_built_one():
    parsed = objectives.parse("0.5*conv:1 - neuron:conv:2 + class:3")
    built = 0.5 * objectives.channel("conv", 1) - objectives.neuron("conv", 2) + objectives.class_logit(3)
    assert value(parsed) == pytest.approx(value(built), rel=1e-6)


@pytest.mark.parametrize("text, quoted", [
    ("conv:x", "'conv:x'"), ("conv:1 conv:2", "'conv:2' at column 8"), ("conv:1 +", "'+' at column 8"),
    ("neuron:conv", "'neuron:conv'"), ("", "empty objective"), ("0.5*", "'0.5*'"),
])
def test_grammar_errors_quote_the_bad_part(text, quoted):
    with pytest.raises(UserError, match="^--objective: ") as error:
        objectives.parse(text)
    assert quoted in str(error.value) and "\n" not in str(error.value)


def test_check_names_the_channel_count_and_class_count():
    backbone = backbones.Backbone("vgg16", ["block1_conv2", LOGITS], weights=None)
    objectives.check(objectives.parse("block1_conv2:63 + class:999"), backbone)
    with pytest.raises(UserError, match=r"--objective: block1_conv2 has 64 channels \(0..63\), got 64"):
        objectives.check(objectives.parse("block1_conv2:64"), backbone)
    with pytest.raises(UserError, match=r"logits has 1000 classes \(0..999\), got 1000"):
        objectives.check(objectives.parse("class:1000"), backbone)


def test_class_objectives_need_a_top_and_hed_has_none():
    with pytest.raises(UserError, match="--weights hed: is a VGG16 without its classification top"):
        backbones.Backbone("vgg16", [LOGITS], weights="hed")
    backbone = backbones.Backbone("vgg16", [LOGITS, "block1_conv1"], weights=None)
    features = backbone(np.zeros((2, 40, 50, 3), np.float32))  # resized to 224 inside
    assert features[LOGITS].shape == (2, 1000) and features["block1_conv1"].shape == (2, 224, 224, 64)


def test_diversity_makes_the_members_of_a_batch_differ_more():
    from tfart import generators, optimize
    model = tiny_model()

    def spread(weight):
        image = generators.PixelImage(12, 12, batch=3, seed=0)
        objective = objectives.channel("conv", 2)
        if weight:
            objective = objective + weight * objectives.diversity("conv")
        optimize.optimize(image, objective, model, 12, 12, optimize.Settings(steps=60, lr=0.05))
        pixels = image.image(12, 12).numpy()
        return np.mean([np.abs(pixels[i] - pixels[j]).mean() for i in range(3) for j in range(i)])
    plain, diverse = spread(0.0), spread(10.0)
    assert diverse > 3 * plain and diverse > 0.05

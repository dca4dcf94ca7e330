"""tfart.style_transfer: the recipes and what they promise, without a trained network."""
import numpy as np

from tfart import backbones, generators, imaging, jobs, monitors, objectives, optimize, style_transfer


def test_recipe_replace_ignores_unset_flags():
    recipe = style_transfer.RECIPES["cppn"]
    changed = recipe.replace(steps=5, lr=None, style_weight=0.0, fit_steps=None)
    assert (changed.steps, changed.lr, changed.style_weight, changed.fit_steps) == \
        (5, recipe.lr, 0.0, recipe.fit_steps)
    assert style_transfer.RECIPES["cppn"].steps == recipe.steps  # the recipe itself is untouched


def test_every_parameterization_has_a_recipe_and_cppns_get_fourier_features():
    assert set(style_transfer.RECIPES) == set(generators.PARAMETERIZATIONS)
    for name in ("cppn", "fourier_cppn"):
        g = style_transfer.generator(name, 32, 48, seed=1)
        assert g.encoder == "fourier" and g.activations == ["tanh"] * 4 and g.hidden == 64
        assert style_transfer.RECIPES[name].fit_steps > 0
    assert style_transfer.generator("fourier_cppn", 32, 32).detail == 0.003  # no grid lattice
    assert style_transfer.generator("cppn", 32, 32, encoder="ha", depth=2).encoder == "ha"
    assert style_transfer.generator("pixel", 32, 48).image(32, 48).shape == (1, 32, 48, 3)


def test_layers_leave_out_the_content_layers_without_content():
    assert style_transfer.layers() == list(style_transfer.STYLE_LAYERS) + ["block4_conv2"]
    assert style_transfer.layers(["block3_conv1"], ["block4_conv2"], content_weight=0) == ["block3_conv1"]


def test_objective_weights_each_term_by_the_recipe():
    backbone = backbones.Backbone("vgg16", style_transfer.layers(), weights=None)
    rng = np.random.default_rng(0)
    content, style, image = (rng.uniform(size=(1, 32, 32, 3)).astype("float32") for _ in range(3))
    ctx = objectives.Context(image, backbone(image))
    recipe = style_transfer.Recipe(lr=0.1, style_weight=3.0, content_weight=2.0, tv_weight=5.0)
    terms = style_transfer.objective(backbone, content, [style], recipe).terms(ctx)
    plain = {
        "style": objectives.style(backbone, [style], list(style_transfer.STYLE_LAYERS)).terms(ctx)["style"],
        "content": objectives.content(backbone, content, ["block4_conv2"]).terms(ctx)["content"],
        "tv": objectives.total_variation().terms(ctx)["tv"]}
    for name, weight in (("style", 3.0), ("content", 2.0), ("tv", 5.0)):
        np.testing.assert_allclose(float(terms[name]), weight * float(plain[name]), rtol=1e-5)
    no_content = style_transfer.objective(backbone, content, [style], recipe.replace(content_weight=0.0, tv_weight=0.0))
    assert set(no_content.terms(ctx)) == {"style"}


def test_the_recipe_cppn_holds_a_photograph_the_smooth_cppn_blurs():
    """Why the recipes use Fourier features: the same 150-step fit, 64 px of skimage:chelsea."""
    photo = imaging.load_image("skimage:chelsea", 64)
    height, width = photo.shape[1:3]
    recipe = style_transfer.RECIPES["cppn"]

    def fit(generator):
        jobs.run(generator, objectives.reconstruction(photo), None, height=height, width=width,
                 settings=optimize.Settings(steps=150, lr=recipe.fit_lr),
                 outputs=jobs.Outputs(progress=False))
        return -10 * np.log10(float(np.mean((generator.image(height, width).numpy() - photo) ** 2)))
    fourier = fit(style_transfer.generator("cppn", height, width, seed=0, latent_dim=0))
    smooth = fit(generators.make("cppn", height, width, seed=0, latent_dim=0))
    assert fourier > smooth + 5, (fourier, smooth)


def test_watch_monitors_see_every_step_with_its_time():
    history = monitors.History()
    target = np.full((1, 8, 8, 3), 0.25, np.float32)
    generator = generators.make("pixel", 8, 8, seed=0)
    jobs.run(generator, objectives.reconstruction(target), None, height=8, width=8,
             settings=optimize.Settings(steps=5, lr=0.1), outputs=jobs.Outputs(progress=False), watch=[history])
    assert len(history.terms) == len(history.times) == 5
    assert np.all(np.diff(history.times) >= 0) and history.column("loss")[-1] < history.column("loss")[0]

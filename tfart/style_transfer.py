"""Neural style transfer (Gatys et al. 2016) on any parameterization: its parts and its defaults.

    backbone = tfart.Backbone("vgg16", style_transfer.layers(), weights="hed")
    recipe = style_transfer.RECIPES["cppn"]
    generator = style_transfer.generator("cppn", 256, 256, seed=0)
    objective = style_transfer.objective(backbone, content, [style], recipe)
    tfart.run(generator, objective, backbone, height=256, width=256,
              settings=tfart.Settings(steps=recipe.steps, lr=recipe.lr, subpixel=recipe.subpixel),
              init=tfart.Init(content, recipe.fit_steps, recipe.fit_lr))

RECIPES are each parameterization's defaults. They were found by sweeps with trained VGG16
features (`--weights hed`, docs/benchmarks.md) and are judged by eye and by
benchmarks/style_quality.py.
"""
import dataclasses

STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
CONTENT_LAYERS = ("block4_conv2",)

# A CPPN whose coordinates enter as Gaussian Fourier features (Tancik et al. 2020): 128 random
# frequencies with sigma 6 per plane unit into 4 tanh layers of 64. It stays resolution-free, but
# unlike the smooth CPPN it can hold a photograph. 300 Adam steps at lr 0.001 fit skimage:chelsea
# at 128 px to 33.5 dB, with the whiskers. The smooth CPPN (generators.SMOOTH_START) reaches
# 23 dB and shows a beige blur with no cat in it.
FOURIER_FEATURES = {"encoder": "fourier", "sigma": 6.0, "features": 128, "activation": "tanh",
                    "init_scale": 1.0, "hidden": 64, "depth": 4}

# A multi-resolution hash grid (generators.HashGrid): 16 levels from 8 cells across the shorter
# side to one cell per pixel (generators.make), tables of 2^14 vectors of 2, two ReLU layers of 64.
# Finer levels do not pay: the seed experiment at 128 px for 150 steps ended at style loss 0.61
# with 512 cells (4 per pixel) and 0.57 with 128, and a 16x render of the 512-cell grid showed
# its untrained corners as a dotted mesh; 64 cells (2 pixels each) ended at 0.75.
HASH_GRID = {"levels": 16, "log2_table": 14, "coarsest": 8, "hidden": 64, "depth": 2}


# A neural cellular automaton's training: 1000 steps on the paper's 128 px grid (tfart-render
# runs it on any bigger one).
NCA_STEPS = 1000
NCA_SIZE = 128


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The defaults of one parameterization's style transfer.

    lr, steps: the Adam run. style_weight, content_weight, tv_weight: the loss balance (Gram
    matrices normalised by c*h*w, mean squared content error). fit_steps, fit_lr: steps that fit a
    CPPN to the content image before the style stage (with --init content). subpixel: optimize
    at random points within the pixels (optimize.Settings). normalize_gradients: each variable's
    gradient divided by its norm (optimize.Settings). generator: keyword arguments of generators.make.
    """
    lr: float
    steps: int = 300
    style_weight: float = 10.0
    content_weight: float = 1.0
    tv_weight: float = 0.0
    fit_steps: int = 0
    fit_lr: float = 0.001
    subpixel: bool = False
    normalize_gradients: bool = False
    generator: dict = dataclasses.field(default_factory=dict)

    def replace(self, **changes):
        """A copy with the given fields changed; None values are ignored (flags left unset)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


RECIPES = {
    "pixel": Recipe(lr=0.1),
    # lr 0.4 took the FFT image's style distance, over the unstyled photo's, on the four pairs of
    # benchmarks/style_quality.py from 0.0031 / 0.0094 / 0.0127 / 0.0221 (lr 0.1, pixel's lr) to
    # 0.0021 / 0.0055 / 0.0041 / 0.0132, content within 0.004 of what it was; lr 0.2 fell between.
    "fft": Recipe(lr=0.4),
    "cppn": Recipe(lr=0.003, fit_steps=300, generator=FOURIER_FEATURES),
    # The Fourier-CPPN's 10x10 spectral head scaled by detail 0.1 (its art default) covers a style
    # transfer with a lattice at the grid's period: on chelsea/coffee at 128 px, grid peaks 11.6
    # against the photo's 1.8, and red-green herringbone at 4x. detail 0.01 gives 1.6 there but
    # 32.0 on astronaut/rocket (photo 0.9); detail 0.003 gives 4.9 there, with the same style and
    # content distances each time. The lower the detail, the less the head can grow the lattice.
    "fourier_cppn": Recipe(lr=0.003, fit_steps=300, generator={**FOURIER_FEATURES, "detail": 0.003}),
    "hashgrid": Recipe(lr=0.01, fit_steps=100, fit_lr=0.01, subpixel=True, generator=HASH_GRID),
    # A cellular automaton grows a texture from its seed: style only, with the paper's Adam lr
    # 2e-3 and per-variable gradient normalisation (Mordvintsev et al. 2021).
    "nca": Recipe(lr=0.002, steps=NCA_STEPS, content_weight=0.0, normalize_gradients=True),
}


def default_layers(source):
    """(style layers, content layers) of a backbone: Gatys's for VGG, else its resolution stages'
    outputs and its layer at three quarters of the depth (tfart.backbones.Layers)."""
    if source in ("vgg16", "vgg19"):
        return STYLE_LAYERS, CONTENT_LAYERS
    from tfart import backbones
    layers = backbones.layers_of(source)
    return layers.style, (layers.deep,)


def layers(style_layers=STYLE_LAYERS, content_layers=CONTENT_LAYERS, content_weight=1.0):
    """The backbone layers a style transfer reads (the content layers only when they count)."""
    return list(style_layers) + (list(content_layers) if content_weight else [])


def generator(parameterization, height, width, seed=0, **overrides):
    """The parameterization's generator as its recipe builds it (keyword arguments override)."""
    kwargs = {**RECIPES[parameterization].generator, **overrides} if parameterization in RECIPES else overrides
    from tfart import generators  # here: tfart-style defines its flags from this module before TensorFlow loads
    return generators.make(parameterization, height, width, seed=seed, **kwargs)


def objective(backbone, content, styles, recipe, style_layers=STYLE_LAYERS,
              content_layers=CONTENT_LAYERS, blend=None):
    """style_weight * style + content_weight * content (+ tv_weight * total variation)."""
    from tfart import objectives
    loss = recipe.style_weight * objectives.style(backbone, styles, list(style_layers), blend)
    if recipe.content_weight:
        loss += recipe.content_weight * objectives.content(backbone, content, list(content_layers))
    if recipe.tv_weight:
        loss += recipe.tv_weight * objectives.total_variation()
    return loss

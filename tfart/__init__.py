"""tfart: neural art by differentiable image parameterization (TensorFlow 2 / Keras 3).

The names a notebook needs:

    import tfart
    cppn = tfart.generators.CPPN(seed=12)               # a generator: parameters -> pixels
    image = tfart.render(cppn, 1080, 1920)              # [1, 1080, 1920, 3] float32 in [0, 1]
    tfart.save_png("cppn.png", image[0])

    backbone = tfart.Backbone("vgg19", layers, weights="imagenet")
    objective = tfart.objectives.content(backbone, photo, layers) + 1e6 * tfart.objectives.style(...)
    result = tfart.run(cppn, objective, backbone, height=256, width=256,
                       settings=tfart.Settings(steps=300), outputs=tfart.Outputs(png="a.png"))
    again = tfart.load("a_model")                       # an export, renderable at any size

Images are float32 [B, H, W, 3] in [0, 1] throughout; every backbone preprocesses for itself.
"""
import importlib

from tfart import quiet

quiet.install()  # whatever imports TensorFlow later does so without its start-up lines

# The names a notebook needs, each from its module. They load on first use (PEP 562), so that
# `import tfart` and the commands' flag parsing (--help, a typo) do not wait for TensorFlow.
_NAMES = {"Backbone": "tfart.backbones", "UserError": "tfart.errors", "load": ("tfart.export", "load_any"),
          "load_image": "tfart.imaging", "save_animation": "tfart.imaging", "save_png": "tfart.imaging",
          "Coarse": "tfart.jobs", "Init": "tfart.jobs", "JobResult": "tfart.jobs", "Outputs": "tfart.jobs",
          "run": "tfart.jobs", "Settings": "tfart.optimize", "render": "tfart.rendering"}
_MODULES = ("generators", "objectives", "transforms")

__all__ = sorted([*_NAMES, *_MODULES])


def __getattr__(name):
    if name not in _NAMES and name not in _MODULES:
        raise AttributeError(f"module 'tfart' has no attribute {name!r}")
    if name in _MODULES:
        return importlib.import_module(f"tfart.{name}")
    module, attribute = _NAMES[name] if isinstance(_NAMES[name], tuple) else (_NAMES[name], name)
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # found directly from now on
    return value

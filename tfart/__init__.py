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
from tfart.quiet import import_tensorflow

import_tensorflow()  # first, so that no tfart import prints TensorFlow's start-up lines

# isort: split
from tfart import generators, objectives, transforms  # noqa: E402
from tfart.backbones import Backbone  # noqa: E402
from tfart.errors import UserError  # noqa: E402
from tfart.export import load_any as load  # noqa: E402
from tfart.imaging import load_image, save_animation, save_png  # noqa: E402
from tfart.jobs import Coarse, Init, JobResult, Outputs, run  # noqa: E402
from tfart.optimize import Settings  # noqa: E402
from tfart.rendering import render  # noqa: E402

__all__ = ["Backbone", "Coarse", "Init", "JobResult", "Outputs", "Settings", "UserError", "generators",
           "load", "load_image", "objectives", "render", "run", "save_animation", "save_png", "transforms"]

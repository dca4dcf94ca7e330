"""tfart: neural art by differentiable image parameterization (TensorFlow 2 / Keras 3)."""
from tfart.quiet import import_tensorflow

import_tensorflow()  # first, so that no tfart import prints TensorFlow's start-up lines

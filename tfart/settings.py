"""How to optimize (tfart.optimize.Settings): defaults and their checks, with no TensorFlow import,
so that the commands define and parse their flags from them before TensorFlow loads."""
import dataclasses
import math

from tfart.errors import UserError

OPTIMIZERS = ("adam", "lbfgs")
SCHEDULES = ("constant", "cosine")
# Perception engines (tfart.perception.draw, tfart-perceive --patience): a drawing whose target
# probability has not risen by PERCEPTION_RISE within PERCEPTION_PATIENCE classifier evaluations
# has stalled, and starts again from a new random start with the rest of the budget.
PERCEPTION_PATIENCE = 600
PERCEPTION_RISE = 0.02


@dataclasses.dataclass
class Settings:
    """How to optimize; the single source of truth for defaults (scripts map flags onto it)."""
    steps: int = 300
    lr: float = 0.02
    optimizer: str = "adam"
    schedule: str = "constant"
    train: str = "weights"          # 'weights', 'latent' or 'both'
    normalize_gradients: bool = False  # divide each gradient by its L2 norm (robust step sizes)
    clip_norm: float = 0.0          # clip the global gradient norm (0: off)
    jit_compile: bool = False       # XLA: faster on GPUs, slower on CPUs (measured)
    subpixel: bool = False          # each step samples a resolution-free picture at a random
                                    # offset within the pixel, so what lies between the pixel
                                    # centres is optimized too (it shows when rendered larger)

    def check(self):
        if not (self.clip_norm >= 0 and math.isfinite(self.clip_norm)):
            raise UserError(f"--clip_norm: must be a number >= 0, got {self.clip_norm}")
        if self.optimizer == "lbfgs":
            from tfart import lbfgs
            lbfgs.import_tfp()  # fail before any work when tensorflow-probability is missing
        if self.steps < 0:
            raise UserError(f"--steps: must be 0 or more, got {self.steps}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise UserError(f"--lr: must be a positive number, got {self.lr}")
        if self.optimizer not in OPTIMIZERS:
            raise UserError(f"--optimizer: choose from {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise UserError(f"--schedule: choose from {', '.join(SCHEDULES)}, got {self.schedule!r}")

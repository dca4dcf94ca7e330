"""What every script shares: quiet TensorFlow logs, one-line user errors, flag validators."""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported anywhere

from absl import app, flags  # noqa: E402

from tfart.errors import UserError  # noqa: E402


def run(main):
    """absl's app.run, but a UserError becomes `error: <message>` on stderr and exit status 1."""
    def guarded(argv):
        from absl import logging
        if not flags.FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)  # SavedModel writing is chatty at INFO
        try:
            return main(argv)
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            sys.exit(1)
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            sys.exit(130)
    app.run(guarded)


def positive(name, maximum=None):
    """Validator: --name must be >= 1 (and <= maximum)."""
    bound = f" and at most {maximum}" if maximum else ""
    flags.register_validator(name, lambda v: v is None or (v >= 1 and (maximum is None or v <= maximum)),
                             message=f"--{name} must be at least 1{bound}")


def at_least(name, low):
    flags.register_validator(name, lambda v: v is None or v >= low, message=f"--{name} must be at least {low}")


def one_of(name, choices):
    flags.register_validator(name, lambda v: v in choices,
                             message=f"--{name} must be one of {', '.join(map(str, choices))}")

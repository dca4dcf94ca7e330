"""Neural style transfer on any parameterization: the `tfart-style` command (see its --help)."""
from tfart.commands import style_transfer

if __name__ == "__main__":
    style_transfer.run()

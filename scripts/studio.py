"""The web studio: the `tfart-studio` command (see its --help)."""
from tfart.commands import studio

if __name__ == "__main__":
    studio.run()

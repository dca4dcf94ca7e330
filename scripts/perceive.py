"""Perception engines: the `tfart-perceive` command (see its --help)."""
from tfart.commands import perceive

if __name__ == "__main__":
    perceive.run()

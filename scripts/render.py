"""Render a saved generator at any size: the `tfart-render` command (see its --help)."""
from tfart.commands import render

if __name__ == "__main__":
    render.run()

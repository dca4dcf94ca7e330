"""Random CPPN and Fourier-CPPN artworks: the `tfart-art` command (see its --help)."""
from tfart.commands import cppn_art

if __name__ == "__main__":
    cppn_art.run()

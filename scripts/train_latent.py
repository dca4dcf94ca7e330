"""Train a CPPN decoder's latent space: the `tfart-train-latent` command (see its --help)."""
from tfart.commands import train_latent

if __name__ == "__main__":
    train_latent.run()

"""DeepDream, feature visualization and channel atlases: the `tfart-dream` command (see its --help)."""
from tfart.commands import dream

if __name__ == "__main__":
    dream.run()

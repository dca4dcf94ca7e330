"""tfart-studio: breed CPPN art in the browser and steer any picture with a gradient."""

# The addresses only this machine reaches: the studio's default, and what its server answers to there
# (here, where the command reads it before TensorFlow or the server's packages load).
LOOPBACK = ("127.0.0.1", "localhost", "::1")

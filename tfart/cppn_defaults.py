"""The CPPN's art defaults. tfart.generators.CPPN's constructor takes them from here, and so do
tfart-art's flags, which are defined and parsed before TensorFlow loads (this module imports
nothing).

4 tanh layers of 32 units, weights N(0, 7^2 / fan_in), x, y and r times 8 and z times 5: crisp,
faceted pictures in the manner of David Ha's CPPNs (benchmarks/cppn_look.py measures them).
"""
# The default weight scale; SIREN's own initialisation is this scale's.
INIT_SCALE = 7.0
CPPN_DEFAULTS = {"latent_dim": 8, "depth": 4, "hidden": 32, "activation": "tanh", "encoder": "ha",
                 "init_scale": INIT_SCALE, "coord_scale": 8.0, "z_scale": 5.0, "sigma": 2.0}

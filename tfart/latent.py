"""Paths through latent space for animations: spherical interpolation with easing."""
import numpy as np


def ease(t):
    """Smooth in-out easing of t in [0, 1] (zero speed at both keyframes)."""
    return 0.5 - 0.5 * np.cos(np.pi * t)


def slerp(a, b, t):
    """Spherical interpolation between latent vectors a and b ([L] each) at t in [0, 1]."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return (1 - t) * a + t * b
    omega = np.arccos(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def loop(keyframes, frames):
    """A closed path of `frames` latent codes through the keyframes [K, L] and back: [frames, L]."""
    keyframes = np.asarray(keyframes, np.float64)
    k = len(keyframes)
    path = []
    for i in range(frames):
        position = i * k / frames
        segment, t = int(position), position - int(position)
        path.append(slerp(keyframes[segment], keyframes[(segment + 1) % k], ease(t)))
    return np.asarray(path, np.float32)


def random_codes(count, latent_dim, seed, prior="uniform"):
    """`count` latent codes drawn from a generator's prior: uniformly in [-1, 1] like an art CPPN's
    own z, or from N(0, I) like a VAE decoder's: [count, L] float32."""
    rng = np.random.default_rng(seed)
    codes = rng.standard_normal((count, latent_dim)) if prior == "normal" else rng.uniform(-1, 1, (count, latent_dim))
    return codes.astype(np.float32)

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
    own z, from N(0, I) like a VAE decoder's ('normal'), or from a Gaussian mixture fitted to a
    VAE's training codes (a dict of fit_mixture): [count, L] float32."""
    rng = np.random.default_rng(seed)
    if isinstance(prior, dict):
        weights, means, scales = (np.asarray(prior[k], np.float64) for k in ("weights", "means", "scales"))
        which = rng.choice(len(weights), count, p=weights / weights.sum())
        codes = means[which] + np.einsum("nij,nj->ni", scales[which], rng.standard_normal((count, latent_dim)))
    elif prior == "normal":
        codes = rng.standard_normal((count, latent_dim))
    else:
        codes = rng.uniform(-1, 1, (count, latent_dim))
    return codes.astype(np.float32)


def prior_of(generator):
    """What `generator`'s codes are drawn from: its fitted mixture if it has one, else its prior."""
    return getattr(generator, "mixture", None) or generator.prior


def fit_mixture(codes, components, seed=0, iterations=300, floor=1e-4):
    """A Gaussian mixture of `components` full-covariance Gaussians fitted to codes [N, L] by EM
    (means started at distinct random codes; `floor` is added to each covariance's diagonal).
    A VAE's N(0, I) prior has holes where no training code lies, and the decoder draws blends
    there; drawing from a mixture fitted to the training codes afterwards avoids them (the
    "ex-post density estimation" of Ghosh et al. 2020). Returns a dict for random_codes and a
    generator's config: 'weights' [K], 'means' [K, L] and 'scales' [K, L, L] (lower-triangular
    Cholesky factors of the covariances), as lists of floats."""
    x = np.asarray(codes, np.float64)
    n, dim = x.shape
    if not 1 <= components <= n:
        raise ValueError(f"a mixture of {components} components needs 1..{n} codes, one at least for each")
    rng = np.random.default_rng(seed)
    means = x[rng.choice(n, components, replace=False)]
    covariances = np.repeat((np.cov(x.T).reshape(dim, dim) + floor * np.eye(dim))[None], components, axis=0)
    weights = np.full(components, 1.0 / components)
    previous = -np.inf
    for _ in range(iterations):
        scales = np.linalg.cholesky(covariances)
        # E step: log weight_k N(x | mean_k, covariance_k) for every component k and code x.
        whitened = np.linalg.solve(scales[:, None], (x[None] - means[:, None])[..., None])[..., 0]  # [K, N, L]
        log_det = 2 * np.log(np.diagonal(scales, axis1=1, axis2=2)).sum(-1)
        log_p = np.log(weights)[:, None] - 0.5 * ((whitened ** 2).sum(-1) + log_det[:, None] + dim * np.log(2 * np.pi))
        top = log_p.max(0)
        log_total = top + np.log(np.exp(log_p - top).sum(0))
        responsibility = np.exp(log_p - log_total)  # [K, N]
        # M step.
        counts = responsibility.sum(1) + 1e-10
        weights = counts / n
        means = responsibility @ x / counts[:, None]
        centred = x[None] - means[:, None]
        covariances = np.einsum("kn,kni,knj->kij", responsibility, centred, centred) / counts[:, None, None]
        covariances += floor * np.eye(dim)
        likelihood = log_total.mean()
        if likelihood - previous < 1e-7:
            break
        previous = likelihood
    scales = np.linalg.cholesky(covariances)
    return {"weights": weights.tolist(), "means": means.tolist(), "scales": scales.tolist()}

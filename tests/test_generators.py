import numpy as np
import pytest

from tfart import generators
from tfart.errors import UserError
from tfart.generators import CPPN, FFTImage, FourierCPPN, PixelImage

SIZES = [(16, 16), (24, 40), (40, 24), (64, 9)]


@pytest.mark.parametrize("encoder", ["ha", "lucid", "periodic", "fourier", "siren"])
def test_cppn_encoders_render_varied_pictures_in_range(encoder):
    g = CPPN(seed=1, encoder=encoder, activation="sin" if encoder == "siren" else "tanh")
    for height, width in SIZES:
        image = g.image(height, width).numpy()
        assert image.shape == (1, height, width, 3)
        assert image.min() >= 0 and image.max() <= 1
    image = g.image(48, 48).numpy()
    assert image.std() > 0.05, "a random CPPN must not render flat grey"


@pytest.mark.parametrize("cls", [CPPN, FourierCPPN])
def test_batch_of_latents_and_grey(cls):
    g = cls(seed=2, latent_dim=4, colour=False)
    z = np.random.default_rng(0).uniform(-1, 1, (3, 4)).astype("float32")
    images = g.image(20, 30, z=z).numpy()
    assert images.shape == (3, 20, 30, 3)
    np.testing.assert_array_equal(images[..., 0], images[..., 2])  # grey: equal channels
    assert np.abs(images[0] - images[1]).max() > 1e-3  # different z, different picture


def test_activation_lists_and_mix():
    g = CPPN(depth=5, activation="tanh,sin")
    assert g.activations == ["tanh", "sin", "tanh", "sin", "tanh"]
    assert CPPN(depth=4, activation="mix", seed=3).activations == CPPN(depth=4, activation="mix", seed=3).activations
    assert CPPN(depth=2, activation="composite").image(8, 8).shape == (1, 8, 8, 3)
    with pytest.raises(UserError, match="--activation"):
        CPPN(activation="swishy")


def test_same_seed_same_picture_other_seed_other_picture():
    a = CPPN(seed=5).image(16, 16).numpy()
    np.testing.assert_array_equal(a, CPPN(seed=5).image(16, 16).numpy())
    assert np.abs(a - CPPN(seed=6).image(16, 16).numpy()).max() > 1e-2


def test_periodic_encoder_tiles_seamlessly():
    g = CPPN(seed=0, encoder="periodic")
    image = g.image(32, 32).numpy()[0]
    wrap = np.abs(image[:, 0] - image[:, -1]).mean()
    inside = np.abs(image[:, 1:] - image[:, :-1]).mean()
    assert wrap < 3 * inside  # the seam is no bigger than any other neighbouring-column step


def test_fourier_cppn_has_more_high_frequency_energy_than_cppn():
    from tfart.spectrum import high_frequency_share
    cppn = np.mean([high_frequency_share(CPPN(seed=s).image(64, 64)[0].numpy()) for s in range(3)])
    fourier = np.mean([high_frequency_share(FourierCPPN(seed=s, reference_size=64).image(64, 64)[0].numpy())
                       for s in range(3)])
    assert fourier > cppn


def test_weights_and_latent_variables_are_separate():
    g = CPPN(latent_dim=3)
    assert len(g.latent_variables) == 1 and g.latent_variables[0].shape == (1, 3)
    assert all(v is not g.z for v in g.weight_variables)
    assert len(g.variables_to_train("both")) == len(g.weight_variables) + 1
    with pytest.raises(UserError, match="--train latent"):
        PixelImage(8, 8).variables_to_train("latent")


@pytest.mark.parametrize("cls", [PixelImage, FFTImage])
def test_pixel_baselines(cls):
    g = cls(24, 32, seed=0)
    assert g.image(24, 32).shape == (1, 24, 32, 3)
    assert g.image(48, 64).shape == (1, 48, 64, 3)  # resized, not resolution-free
    assert not g.resolution_free and g.latent_dim == 0
    target = np.random.default_rng(1).uniform(0.1, 0.9, (1, 24, 32, 3)).astype("float32")
    g.assign_image(target)
    np.testing.assert_allclose(g.image(24, 32).numpy(), target, atol=1e-4)


def test_make_rejects_unknown_parameterization():
    with pytest.raises(UserError, match="--parameterization"):
        generators.make("voxels", 8, 8)


def test_fft_image_has_natural_correlated_colours():
    # The colour-decorrelation matrix mixes three independent channels into correlated R, G, B,
    # as natural images have; without it the channels would be independent noise.
    g = FFTImage(64, 64, seed=3, std=1.0)
    rgb = g.image(64, 64).numpy()[0].reshape(-1, 3)
    corr = np.corrcoef(rgb.T)
    assert corr[0, 1] > 0.5 and corr[1, 2] > 0.5 and corr[0, 2] > 0.5


def test_fixed_size_tiles_are_crops_of_the_whole():
    for g in (FFTImage(20, 30, seed=1, std=0.5), PixelImage(20, 30, seed=1, std=1.0)):
        whole = g.image(20, 30).numpy()
        for top, left, th, tw in ((0, 0, 8, 16), (8, 16, 12, 14), (16, 5, 4, 7)):
            tile = g.render_tile(20, 30, top, left, th, tw).numpy()
            np.testing.assert_array_equal(tile, whole[:, top:top + th, left:left + tw])


def test_make_passes_std_and_decay_to_pixel_and_fft():
    g = generators.make("fft", 8, 8, seed=2, std=0.3, decay=0.5, latent_dim=8, grid=4)
    assert (g.std, g.decay, g.seed) == (0.3, 0.5, 2)
    assert generators.make("pixel", 8, 8, std=0.2).std == 0.2


@pytest.mark.parametrize("make", [lambda: PixelImage(6, 10, seed=4, std=0.3),
                                  lambda: FFTImage(6, 10, seed=4, std=0.3, decay=0.5)])
def test_fixed_size_images_rebuild_from_their_config(make):
    g = make()
    again = type(g).from_config(g.get_config())
    assert again.get_config() == g.get_config()
    np.testing.assert_array_equal(again.image(6, 10).numpy(), g.image(6, 10).numpy())  # same seed, same start


@pytest.mark.parametrize("make", [lambda: PixelImage(12, 10, batch=3, std=1.0),
                                  lambda: FFTImage(12, 10, batch=3, std=1.0),
                                  lambda: CPPN(seed=3, latent_dim=2, batch=3),
                                  lambda: FourierCPPN(seed=3, latent_dim=2, batch=3, reference_size=12)])
def test_a_batch_renders_different_images_and_trains_as_one(make):
    g = make()
    images = g.image(12, 10).numpy()
    assert images.shape == (3, 12, 10, 3) and images.min() >= 0 and images.max() <= 1
    assert np.abs(images[0] - images[1]).max() > 1e-3 and np.abs(images[1] - images[2]).max() > 1e-3
    assert g.default_z().shape[0] == 3


def test_a_pixel_batch_starts_every_member_from_the_image():
    image = np.random.default_rng(0).uniform(0.1, 0.9, (1, 8, 8, 3)).astype("float32")
    for g in (PixelImage(8, 8, batch=2), FFTImage(8, 8, batch=2)):
        g.assign_image(image)
        np.testing.assert_allclose(g.image(8, 8).numpy(), np.repeat(image, 2, 0), atol=1e-5)


def test_decorrelated_colour_mixes_the_channels():
    plain, mixed = CPPN(seed=4), CPPN(seed=4, decorrelate=True)
    a, b = plain.image(32, 32).numpy()[0], mixed.image(32, 32).numpy()[0]
    assert b.min() >= 0 and b.max() <= 1 and np.abs(a - b).max() > 0.05
    # Decorrelated colour correlates the RGB channels the way ImageNet's colours are correlated.
    corr = lambda im: np.corrcoef(im.reshape(-1, 3).T)[np.triu_indices(3, 1)].mean()  # noqa: E731
    assert corr(b) > corr(a)


def test_a_cppn_batch_needs_a_latent_code():
    with pytest.raises(UserError, match="--batch: .*--latent_dim > 0"):
        CPPN(latent_dim=0, batch=2)


def test_multi_scale_fourier_features_give_each_bandwidth_its_band():
    g = CPPN(encoder="fourier", sigma="1,10", features=400, seed=0)
    frequencies = g.frequencies.numpy()
    assert g.sigma == [1.0, 10.0]
    assert 0.8 < frequencies[:, :200].std() < 1.2 and 8 < frequencies[:, 200:].std() < 12
    np.testing.assert_array_equal(CPPN.from_config(g.get_config()).frequencies.numpy(), frequencies)
    np.testing.assert_array_equal(CPPN(encoder="fourier", sigma=6.0, seed=0).frequencies.numpy(),
                                  CPPN(encoder="fourier", sigma=[6.0], seed=0).frequencies.numpy())
    for sigma in ("1,-2", "a,b", []):
        with pytest.raises(UserError, match="--sigma"):
            CPPN(encoder="fourier", sigma=sigma)
    with pytest.raises(UserError, match="--sigma: 3 bandwidths need at least as many --features"):
        CPPN(encoder="fourier", sigma="1,2,3", features=2)


def test_random_frequency_fourier_cppn_has_no_common_period_and_keeps_dc():
    g = FourierCPPN(frequencies="random", grid=6, seed=0, reference_size=32)
    table = g.spectrum_frequencies.numpy()
    assert table.shape == (36, 2) and not g.spectrum_frequencies.trainable
    np.testing.assert_array_equal(table[0], 0)  # DC: the CPPN body's own picture
    assert np.abs(table[1:]).max() <= 0.5 and np.abs(table[1:] * 6 - np.round(table[1:] * 6)).min() > 0
    image = g.image(32, 32).numpy()
    assert image.shape == (1, 32, 32, 3) and 0 <= image.min() and image.max() <= 1
    again = FourierCPPN.from_config(g.get_config())
    np.testing.assert_array_equal(again.spectrum_frequencies.numpy(), table)
    with pytest.raises(UserError, match="--frequencies"):
        FourierCPPN(frequencies="hexagonal")

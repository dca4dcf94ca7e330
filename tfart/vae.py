"""A learned latent space: a VAE whose decoder is a CPPN, trained with tf.distribute.

David Ha's "Generating Large Images from Latent Vectors" trains a CPPN as the decoder of a VAE, so
every latent point is a resolution-free image: trained on 28 px digits, it renders at 1080p.

    strategy = tf.distribute.MirroredStrategy()          # or the default strategy
    with strategy.scope():
        model = vae.VAE(image_size=24, channels=1, latent_dim=8)        # gan=True: a VAE-GAN
        optimizers = vae.optimizers(model, learning_rate=3e-3)
    step = vae.train_step(model, optimizers, strategy, global_batch=64)
    for images, noise in strategy.experimental_distribute_dataset(vae.digits(24, 8).batch(64)):
        losses = step(images, noise)                     # {'loss': ..., 'reconstruction': ..., 'kl': ...}
    tfart.render(model.decoder, 1080, 1080, z=some_z)   # the decoder is a tfart generator

The sampling noise travels with each example in the data set (a stateless draw from its index
and the epoch), so a step gives the same update on one replica or many: the per-example losses
are summed and divided by the global batch (tf.nn.compute_average_loss), the replicas'
gradients are summed, and the optimizers apply them once, in cross-replica context.

With gan=True a discriminator learns to tell training images from the decoder's reconstructions
and prior samples, and the encoder and decoder also learn to fool it (the VAE-GAN of Larsen et
al. 2016 and of Ha's CPPN lineage, with the pixel reconstruction kept). Balancing: the
discriminator skips its update while it is already winning (its loss under `balance`), so it
cannot overpower the decoder; that last loss is checkpointed with the weights (`checkpointed`), so
a resumed run decides as an uninterrupted one would.
"""
import os

import keras
import numpy as np
import tensorflow as tf

from tfart import generators, monitors
from tfart.errors import UserError


class ConvNet(keras.Model):
    """[B, S, S, C] images in [0, 1] -> [B, units]: two stride-2 convolutions and a dense layer
    (the encoder's and the discriminator's body)."""

    def __init__(self, units, width=32, activation="relu", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.convs = [keras.layers.Conv2D(width, 3, strides=2, padding="same", activation=activation),
                      keras.layers.Conv2D(2 * width, 3, strides=2, padding="same", activation=activation)]
        self.flatten = keras.layers.Flatten()
        self.head = keras.layers.Dense(units)

    def call(self, images):
        x = images
        for conv in self.convs:
            x = conv(x)
        return self.head(self.flatten(x))


class Encoder(ConvNet):
    """[B, S, S, C] images in [0, 1] -> (mean, log variance), each [B, latent_dim]."""

    def __init__(self, latent_dim, width=32, name="encoder", **kwargs):
        super().__init__(2 * latent_dim, width, name=name, **kwargs)

    def call(self, images):
        mean, log_variance = tf.split(super().call(images), 2, axis=-1)
        return mean, log_variance


class Discriminator(ConvNet):
    """[B, S, S, C] images in [0, 1] -> [B] logits: real (positive) or decoded (negative)."""

    def __init__(self, width=32, name="discriminator", **kwargs):
        super().__init__(1, width, activation="leaky_relu", name=name, **kwargs)

    def call(self, images):
        return super().call(images)[:, 0]


def kl_divergence(mean, log_variance):
    """KL(N(mean, exp(log_variance)) || N(0, I)) per example: [B, L] -> [B], in closed form."""
    return -0.5 * tf.reduce_sum(1.0 + log_variance - tf.square(mean) - tf.exp(log_variance), axis=-1)


# The decoder CPPN: Ha's (x, y, r, z) input through 4 tanh layers of 32, at a standard weight scale.
# Measured on the digits (24 px, latent 8, 100 epochs, lr 3e-3, 297 held-out digits): the
# optimization jobs' smooth start (generators.SMOOTH_START: 6 layers, init_scale 3) reconstructs at
# a held-out MSE of 0.0131 and its prior samples are smoke; with init_scale 1 it is 0.0111 and the
# samples are digits. Gaussian Fourier features (64 wide) reach 0.0098 but render noise at 4x.
# Its latent codes come from the VAE's prior, N(0, I).
DECODER = {"depth": 4, "hidden": 32, "init_scale": 1.0, "coord_scale": 4.0, "z_scale": 1.0, "prior": "normal"}


# A VAE-GAN's adversarial weight. The reconstruction is summed over the pixels (about 200 nats a
# digit) and the GAN loss is about 1 per image. Looked at on the digits after 100 epochs: at 2 the
# samples have firmer edges and more contrast than the VAE's; at 5 and 20 the discriminator wins
# and the decoder answers with streaks.
GAN_WEIGHT = 2.0
# The discriminator skips its update while its loss is under this (2 log 2 = 1.39 at chance).
BALANCE = 0.8


def binary_cross_entropy(images, decoded, epsilon=1e-6):
    """Summed per example: [B, S, S, C] targets and decoded images in [0, 1] -> [B]."""
    p = tf.clip_by_value(decoded, epsilon, 1.0 - epsilon)
    return -tf.reduce_sum(images * tf.math.log(p) + (1.0 - images) * tf.math.log(1.0 - p), axis=[1, 2, 3])


class VAE(keras.Model):
    """Encoder + CPPN decoder (a tfart generator with a latent code), and the VAE's losses.

    image_size, channels: the training images, [S, S, channels] (1 or 3). beta weighs the KL term.
    decoder: 'cppn' or 'fourier_cppn'; it renders z at any size afterwards. decoder_options
    override DECODER (a benchmark compares decoders of equal size).
    gan: add a discriminator (a VAE-GAN); gan_weight weighs its adversarial loss for the decoder.
    """

    def __init__(self, image_size, channels=1, latent_dim=8, decoder="cppn", beta=1.0, seed=0,
                 decoder_options=None, gan=False, gan_weight=GAN_WEIGHT, **kwargs):
        super().__init__(name="vae", **kwargs)
        if channels not in (1, 3):
            raise UserError(f"--channels: 1 or 3, got {channels}")
        if decoder not in ("cppn", "fourier_cppn"):
            raise UserError(f"--decoder: cppn or fourier_cppn, got {decoder!r}")
        if int(image_size) < 8:
            raise UserError(f"--image_size: the encoder needs at least 8 px, got {image_size}")
        self.image_size, self.channels, self.latent_dim, self.beta = int(image_size), channels, latent_dim, beta
        self.encoder = Encoder(latent_dim)
        self.encoder(tf.zeros([1, self.image_size, self.image_size, channels]))
        self.decoder = generators.make(decoder, self.image_size, self.image_size, latent_dim=latent_dim,
                                       colour=channels == 3, seed=seed, **{**DECODER, **(decoder_options or {})})
        self.gan_weight = float(gan_weight)
        self.discriminator = Discriminator() if gan else None
        if gan:
            self.discriminator(tf.zeros([1, self.image_size, self.image_size, channels]))

    @property
    def trainable_variables(self):
        """The encoder's weights and the decoder's (not the decoder's own latent code)."""
        return self.encoder.trainable_variables + self.decoder.weight_variables

    @property
    def variable_groups(self):
        """What each optimizer trains: [encoder and decoder] (+ [discriminator] for a VAE-GAN)."""
        return [self.trainable_variables] + ([self.discriminator.trainable_variables] if self.discriminator else [])

    def mean_codes(self, images, batch=256):
        """The encoder's mean codes of images ([N, S, S, C] in [0, 1], or a tf.data set of single
        images), `batch` at a time: [N, latent_dim] NumPy."""
        if not isinstance(images, tf.data.Dataset):
            images = tf.data.Dataset.from_tensor_slices(images)
        return np.concatenate([self.encoder(chunk)[0].numpy() for chunk in images.batch(batch)])

    def decode(self, z, size=None):
        """z [B, L] -> images [B, size, size, channels] in [0, 1] (the training size by default)."""
        size = size or self.image_size
        return self.decoder.image(size, size, z=z)[..., :self.channels]

    def losses(self, images, noise):
        """Per-example losses, each [B], by name: 'reconstruction', the summed binary cross-entropy
        of the decoded sample z = mean + std * noise[:, 0] (a Bernoulli likelihood, as in Ha's
        CPPN-VAE; on the digits its held-out MSE is 0.0111 against a squared error's 0.0130, and
        it keeps more information in z: KL 10.9 against 5.8); 'kl'; and 'loss', their sum with
        beta * KL. A VAE-GAN adds 'adversarial' (the decoder's non-saturating GAN loss on its
        reconstruction and on the prior sample z = noise[:, 1]; gan_weight times it joins 'loss')
        and 'discriminator' (the discriminator's own loss)."""
        mean, log_variance = self.encoder(images)
        z = mean + tf.exp(0.5 * log_variance) * noise[:, 0]
        decoded = self.decode(z)
        reconstruction = binary_cross_entropy(images, decoded)
        kl = kl_divergence(mean, log_variance)
        losses = {"loss": reconstruction + self.beta * kl, "reconstruction": reconstruction, "kl": kl}
        if self.discriminator is not None:
            real = self.discriminator(images)
            fakes = [self.discriminator(decoded), self.discriminator(self.decode(noise[:, 1]))]
            losses["adversarial"] = sum(tf.nn.softplus(-f) for f in fakes) / 2
            losses["discriminator"] = tf.nn.softplus(-real) + sum(tf.nn.softplus(f) for f in fakes) / 2
            losses["loss"] += self.gan_weight * losses["adversarial"]
        return losses


def optimizers(model, learning_rate):
    """Adam for the encoder and decoder, and one for a VAE-GAN's discriminator, built for their
    variables (call under the strategy's scope)."""
    made = []
    for variables in model.variable_groups:
        optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5 if model.discriminator else 0.9)
        optimizer.build(variables)
        made.append(optimizer)
    return made


def train_step(model, optimizers, strategy, global_batch, balance=BALANCE):
    """A compiled step over one distributed batch: (images, noise) -> {name: global mean per
    example} of model.losses. `optimizers` are vae.optimizers(model), made under the strategy's
    scope. A VAE-GAN's discriminator learns only while its loss of the previous step was at least
    `balance` (at chance it is 2 log 2 = 1.39). That loss is the returned step's
    `discriminator_loss`, a tf.Variable (inf before the first step): checkpointed with the model
    (see checkpointed), a resumed run decides as an uninterrupted one would."""
    parts = model.variable_groups
    objectives = ["loss", "discriminator"][:len(parts)]
    discriminator_loss = tf.Variable(float("inf"), trainable=False, name="discriminator_loss")

    def replica(images, noise):
        with tf.GradientTape(persistent=True) as tape:
            means = {name: tf.nn.compute_average_loss(v, global_batch_size=global_batch)
                     for name, v in model.losses(images, noise).items()}
        grads = [tape.gradient(means[name], variables) for name, variables in zip(objectives, parts)]
        return means, grads

    @tf.function
    def step(images, noise, discriminator_learns):
        means, grads = strategy.run(replica, args=(images, noise))
        total = lambda v: strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)  # noqa: E731
        for i, (optimizer, variables) in enumerate(zip(optimizers, parts)):
            if i == 0 or discriminator_learns:
                optimizer.apply_gradients(zip([total(g) for g in grads[i]], variables))
        return {name: total(v) for name, v in means.items()}

    def balanced(images, noise):
        means = step(images, noise, float(discriminator_loss.numpy()) >= balance)
        if model.discriminator is not None:
            discriminator_loss.assign(means["discriminator"])
        return means
    balanced.discriminator_loss = discriminator_loss
    return balanced


def checkpointed(model, optimizers, step):
    """What a training run's checkpoint holds, by name: the encoder, the decoder and their
    optimizer; for a VAE-GAN also the discriminator, its optimizer and the step's balancing state
    (`step` is train_step's)."""
    parts = dict(encoder=model.encoder, decoder=model.decoder, optimizer=optimizers[0], weights=monitors.weights_of(model))
    if model.discriminator is not None:
        parts.update(discriminator=model.discriminator, discriminator_optimizer=optimizers[1],
                     discriminator_loss=step.discriminator_loss)
    return parts


def with_noise(images, latent_dim, epoch=0):
    """A tf.data set of images -> (image, noise [2, L]) pairs: normal draws for the sampled code and
    for a VAE-GAN's prior sample. The noise of example i is a stateless draw seeded by (i, epoch),
    the same on any number of replicas."""
    def pair(index, image):
        return image, tf.random.stateless_normal([2, latent_dim], seed=tf.stack([tf.cast(index, tf.int32), epoch]))
    return images.enumerate().map(pair)


def digit_images(image_size):
    """scikit-learn's 1797 handwritten digits, white ink on black, resized from 8 x 8: a tf.data
    set of [S, S, 1] float32 in [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise UserError("--dataset digits: needs scikit-learn (pip install -e \".[perceive]\")") from None
    images = tf.image.resize(load_digits().images[..., None].astype(np.float32) / 16.0,
                             (image_size, image_size)).numpy().clip(0, 1)
    return tf.data.Dataset.from_tensor_slices(images)


def digits(image_size, latent_dim, epoch=0):
    """The digits as (image, noise) pairs (digit_images, with_noise)."""
    return with_noise(digit_images(image_size), latent_dim, epoch)


def glyph_images(image_size, folders=None, split="train", flag="--fonts"):
    """The capitals of the installed fonts' `split` (tfart.glyphs.split_fonts: by family, so the
    test fonts stay unseen), white ink on black: (a tf.data set of [S, S, 1] float32 in [0, 1],
    the whole split {'train', 'val', 'test': [Font]}, font files skipped)."""
    from tfart import glyphs
    fonts, skipped = glyphs.find_fonts(folders, flag=flag)
    splits = glyphs.split_fonts(fonts)
    if not splits[split]:
        raise UserError(f"{flag}: {len(fonts)} fonts of {len({f.family for f in fonts})} families leave no "
                        f"{split} fonts; a split by family needs three families or more")
    images, _ = glyphs.render(splits[split], image_size)
    return tf.data.Dataset.from_tensor_slices(images), splits, skipped


# What Pillow raises for a file that is not an image it can read.
UNREADABLE = (OSError, SyntaxError, ValueError)  # PIL.UnidentifiedImageError is an OSError


def read_square(file, image_size, channels):
    """One image file, centre-cropped square and resized: [S, S, channels] float32 in [0, 1].
    Raises one of UNREADABLE where Pillow cannot read it."""
    from PIL import Image, ImageOps
    with Image.open(file) as im:
        im = ImageOps.fit(ImageOps.exif_transpose(im).convert("L" if channels == 1 else "RGB"),
                          (image_size, image_size), Image.LANCZOS)
        return (np.asarray(im, np.float32) / 255.0).reshape(image_size, image_size, channels)


def folder(path, image_size, channels=3, flag="--data_dir"):
    """Every image Pillow reads in `path` (not its subfolders), centre-cropped square and resized:
    (a tf.data set of [S, S, channels] float32 in [0, 1], how many files were skipped)."""
    if not os.path.isdir(path):
        raise UserError(f"{flag}: no such folder {path!r}")
    images, skipped = [], 0
    for name in sorted(os.listdir(path)):
        file = os.path.join(path, name)
        if not os.path.isfile(file):
            continue
        try:
            images.append(read_square(file, image_size, channels))
        except UNREADABLE:
            skipped += 1
    if not images:
        raise UserError(f"{flag}: no readable images in {path!r}" + (f" ({skipped} files skipped)" if skipped else ""))
    return tf.data.Dataset.from_tensor_slices(np.stack(images)), skipped

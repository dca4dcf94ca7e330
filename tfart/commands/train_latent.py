"""Train a CPPN decoder's latent space (a VAE) on images, on one device or several.

    tfart-train-latent                                   # scikit-learn's digits, offline
    tfart-train-latent --dataset glyphs --epochs 60      # the capitals of installed fonts, 32 px
    tfart-train-latent --data_dir photos/ --image_size 32 --channels 3 --export out/latent/decoder
    tfart-train-latent --strategy mirrored --batch_size 256   # every GPU of this machine

--dataset glyphs trains on the training fonts of tfart.glyphs (split by family; OUT/fonts.json
says which fonts went to train, val and test). --out FOLDER gets ckpt/ (one checkpoint per epoch;
--resume continues), samples.png (random
latent points decoded at --sample_size, 4x the training size by default) and decoder.keras (the
trained decoder, whose latent space tfart-dream --generator searches). --mixture K fits a mixture of
K Gaussians to the training images' codes after training, and samples are drawn from it instead
of N(0, I). --export writes the
decoder as a SavedModel with the render(height, width, z) of every tfart generator, so
`tfart-render --model DIR` draws its samples at any size. --strategy multi_worker reads the
cluster from TF_CONFIG (tf.distribute.MultiWorkerMirroredStrategy); run the same command on
every machine. (scripts/train_latent.py is the same command.)
"""
import json
import os
import sys

from absl import flags

from tfart import cli

FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", None, "A folder of images (any Pillow reads); default: --dataset.")
flags.DEFINE_enum("dataset", "digits", ["digits", "glyphs"], "The built-in data set: scikit-learn's handwritten "
                  "digits, or glyphs: the capitals of the fonts installed packages ship "
                  "(pip install -e \".[glyphs]\").")
flags.DEFINE_list("fonts", None, "With --dataset glyphs: folders of .ttf/.otf fonts (default: the installed "
                  "packages').")
flags.DEFINE_integer("image_size", None, "Training images are resized to this square side (default: 32 for glyphs, "
                     "else 24).")
flags.DEFINE_integer("channels", None, "1 (grey) or 3 (colour); default: 1 for digits and glyphs, 3 for --data_dir.")
flags.DEFINE_integer("latent_dim", 8, "Size of the latent code z (16 for the README's letters).")
flags.DEFINE_integer("hidden", 32, "Units of each of the decoder's hidden layers (64 for the README's letters).")
flags.DEFINE_enum("decoder", "cppn", ["cppn", "fourier_cppn"], "The decoder: a resolution-free generator.")
flags.DEFINE_float("beta", 1.0, "Weight of the KL term.")
flags.DEFINE_bool("gan", False, "Train a VAE-GAN: a discriminator sharpens the decoder's pictures.")
flags.DEFINE_float("gan_weight", None, "Weight of the adversarial loss with --gan (default: tfart.vae.GAN_WEIGHT).")
flags.DEFINE_integer("epochs", 100, "Passes over the data (100 on the digits: about 40 s on two CPU cores).")
flags.DEFINE_integer("batch_size", 64, "Global batch size (split over the replicas).")
flags.DEFINE_float("lr", 3e-3, "Adam's learning rate.")
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multi_worker"], "tf.distribute strategy.")
flags.DEFINE_string("out", "out/latent", "Folder for checkpoints (ckpt/) and samples.png.")
flags.DEFINE_bool("resume", False, "Continue from the last checkpoint in OUT/ckpt.")
flags.DEFINE_string("logdir", None, "TensorBoard log folder (losses per step, samples per epoch).")
flags.DEFINE_string("export", None, "Export the decoder as a SavedModel folder here.")
flags.DEFINE_integer("mixture", 0, "After training, fit a Gaussian mixture of this many components to the "
                     "training images' codes; samples.png, the decoder and its export draw from it (0: from N(0, I), "
                     "the VAE's prior, which has holes where the decoder draws blends; 100 for the README's letters).")
flags.DEFINE_integer("sample_size", None, "Side of the decoded samples (default: 4x --image_size).")
flags.DEFINE_integer("worker_timeout", 300, "With --strategy multi_worker: seconds to wait for every worker "
                     "of TF_CONFIG to start.")
flags.DEFINE_integer("seed", 0, "Random seed.")
cli.seed()
cli.positive("image_size", 1024)
cli.positive("latent_dim", 1024)
cli.positive("hidden", 1024)
cli.at_least("beta", 0.0)
cli.positive("epochs")
cli.positive("batch_size")
cli.greater_than("lr", 0.0)
cli.at_least("gan_weight", 0.0)
cli.at_least("mixture", 0)
cli.positive("sample_size", 8192)
cli.positive("worker_timeout")
flags.register_validator("channels", lambda v: v in (None, 1, 3), message="must be 1 or 3")


def strategy():
    """The tf.distribute strategy of --strategy (multi_worker checks TF_CONFIG first)."""
    import tensorflow as tf

    from tfart.errors import UsageError
    if FLAGS.strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if FLAGS.strategy == "multi_worker":
        try:
            config = json.loads(os.environ.get("TF_CONFIG", ""))
            assert config["cluster"]["worker"] and config["task"]["type"] == "worker"
        except (ValueError, KeyError, TypeError, AssertionError):
            raise UsageError("--strategy multi_worker: TF_CONFIG must name the cluster's workers and this "
                             "task, e.g. {\"cluster\": {\"worker\": [\"host1:12345\", \"host2:12345\"]}, "
                             "\"task\": {\"type\": \"worker\", \"index\": 0}}") from None
        # TensorFlow waits for every worker without end (deaf to SIGTERM meanwhile).
        workers = config["cluster"]["worker"]
        with cli.deadline(FLAGS.worker_timeout, f"--strategy multi_worker: the {len(workers)} workers of TF_CONFIG "
                          f"({', '.join(workers)}) did not all start within {FLAGS.worker_timeout} s "
                          "(--worker_timeout); start the same command on each of them"):
            return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def lowest_epoch(distribution, epoch):
    """The lowest of every worker's `epoch` (a tf.Variable) as an int: a collective, so every
    worker must ask."""
    import tensorflow as tf

    def mine():
        return tf.reshape(epoch, [1])

    @tf.function
    def everyones():
        return distribution.gather(distribution.run(mine), axis=0)
    return int(tf.reduce_min(everyones()))


def main(argv):
    import tensorflow as tf
    try:
        train()
    except tf.errors.UnavailableError:
        if FLAGS.strategy != "multi_worker":
            raise
        cli.exit_now("--strategy multi_worker: another worker stopped (see its output); start every worker "
                     "again, with --resume if a checkpoint was kept")


def train():
    import keras
    import numpy as np
    import tensorflow as tf

    from tfart import export, glyphs, imaging, interrupts, latent, monitors, vae
    from tfart.errors import UsageError
    from tfart.progress import Progress

    channels = FLAGS.channels or (3 if FLAGS.data_dir else 1)
    if not FLAGS.data_dir and channels != 1:
        raise UsageError(f"--channels: the {FLAGS.dataset} are grey; use --channels 1")
    if FLAGS.fonts and (FLAGS.data_dir or FLAGS.dataset != "glyphs"):
        raise UsageError("--fonts: the fonts of --dataset glyphs; this run does not use them")
    image_size = FLAGS.image_size or (32 if FLAGS.dataset == "glyphs" and not FLAGS.data_dir else 24)
    multi_worker = FLAGS.strategy == "multi_worker"
    if multi_worker and not FLAGS["out"].present:
        raise UsageError("--out: with --strategy multi_worker give every worker the run's folder (one path: "
                         "worker 0 keeps the outputs and its checkpoints there, worker N in OUT/worker-N/)")
    out = FLAGS.out  # the run's folder: a default one that an earlier run used gets the next free number
    if not (FLAGS["out"].present or cli.replacing()):
        out = os.path.join(os.path.dirname(out), cli.free_stem(os.path.dirname(out), os.path.basename(out)))
    samples = os.path.join(out, "samples.png")
    imaging.check_writable(samples, "--out")
    if FLAGS.export:
        imaging.check_writable(FLAGS.export, "--export", kind="folder")
    # Collective ops are configured when the strategy is made: before TensorFlow runs anything else.
    distribution = strategy()
    keras.utils.set_random_seed(FLAGS.seed)
    # Every worker keeps its own checkpoints (machines need not share a disk); worker 0 (the
    # chief) also writes the samples, the decoder and the export.
    task = (distribution.cluster_resolver.task_id or 0) if multi_worker else 0
    checkpoints = os.path.join(out, "ckpt") if task == 0 else os.path.join(out, f"worker-{task}", "ckpt")
    if FLAGS.resume and not tf.train.get_checkpoint_state(checkpoints):
        raise UsageError(f"--resume: no checkpoint in {checkpoints!r}")
    fonts = None
    if FLAGS.data_dir:
        data, skipped = vae.folder(FLAGS.data_dir, image_size, channels, "--data_dir")
        if skipped:
            print(f"skipped {skipped} unreadable file{'s' * (skipped > 1)} in {FLAGS.data_dir}")
    elif FLAGS.dataset == "glyphs":
        data, fonts, skipped = vae.glyph_images(image_size, FLAGS.fonts)
        print(f"glyphs: {int(data.cardinality())} capitals of {len(fonts['train'])} training fonts"
              + (f"; skipped {skipped} font file{'s' * (skipped > 1)} that failed to load or lack a capital"
                 if skipped else ""))
    else:
        data = vae.digit_images(image_size)
    with distribution.scope():
        model = vae.VAE(image_size, channels, FLAGS.latent_dim, FLAGS.decoder, FLAGS.beta, FLAGS.seed,
                        decoder_options={"hidden": FLAGS.hidden},
                        gan=FLAGS.gan, gan_weight=vae.GAN_WEIGHT if FLAGS.gan_weight is None else FLAGS.gan_weight)
        optimizers = vae.optimizers(model, FLAGS.lr)
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
    step = vae.train_step(model, optimizers, distribution, FLAGS.batch_size)
    checkpoint = tf.train.Checkpoint(**vae.checkpointed(model, optimizers, step), epoch=epoch)
    manager = tf.train.CheckpointManager(checkpoint, checkpoints, max_to_keep=2)
    if FLAGS.resume:
        monitors.restore_newest(checkpoint, manager,
                                f"--resume: the checkpoint in {checkpoints!r} is of another architecture "
                                "(--image_size, --channels, --latent_dim, --hidden, --decoder, --gan)")
        if multi_worker:  # a worker killed between two workers' saves is one epoch behind: all take its
            agreed = lowest_epoch(distribution, epoch)
            if agreed < int(epoch.numpy()):
                checkpoint.restore(os.path.join(checkpoints, f"ckpt-{agreed}")).assert_existing_objects_matched()
        print(f"resuming after epoch {int(epoch.numpy())}")
        if int(epoch.numpy()) >= FLAGS.epochs:
            raise UsageError(f"--epochs: the checkpoint is at epoch {int(epoch.numpy())} already; give --epochs "
                             f"above {int(epoch.numpy())} to train on")
    writer = tf.summary.create_file_writer(FLAGS.logdir) if FLAGS.logdir else None
    z = tf.constant(np.random.default_rng(FLAGS.seed).normal(size=(16, FLAGS.latent_dim)), tf.float32)
    size = FLAGS.sample_size or 4 * image_size
    def epoch_batches(e):
        epoch_data = vae.with_noise(data, FLAGS.latent_dim, e)
        batches = epoch_data.shuffle(4096, seed=FLAGS.seed + e).batch(FLAGS.batch_size, drop_remainder=True)
        # Each worker builds every global batch and takes its share of each: the same examples
        # make a step on one process or several.
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return batches.with_options(options)
    first = int(epoch.numpy())
    count = int(epoch_batches(first).cardinality().numpy())  # the same every epoch
    if count < 1:
        raise UsageError(f"--batch_size: {FLAGS.batch_size} is more than the {int(data.cardinality())} images")
    if FLAGS.mixture > int(data.cardinality()):
        raise UsageError(f"--mixture: {FLAGS.mixture} components for {int(data.cardinality())} training images; "
                         "give at most one component an image")
    # One bar over the whole run: its time left covers every epoch to come, not just this one.
    bar = Progress((FLAGS.epochs - first) * count, "batch")
    # Ctrl-C is noted and acted on between batches (tfart.interrupts): raised inside TensorFlow's
    # data pipeline, a KeyboardInterrupt comes out as a RuntimeError, and the run would end in a traceback.
    try:
        with interrupts.between_steps() as check:
            while int(epoch.numpy()) < FLAGS.epochs:
                e = int(epoch.numpy())
                batches = distribution.experimental_distribute_dataset(epoch_batches(e))
                for i, (images, noise) in enumerate(batches):
                    losses = {name: float(v) for name, v in step(images, noise).items()}
                    done = (e - first) * count + i + 1
                    bar.update(done, [("epoch", f"{e + 1}/{FLAGS.epochs}"), *losses.items()])
                    check()
                    if writer:
                        with writer.as_default(step=e * count + i + 1):
                            for name, value in losses.items():
                                tf.summary.scalar(name, value)
                epoch.assign_add(1)
                manager.save(checkpoint_number=int(epoch.numpy()))
                if writer:
                    with writer.as_default(step=(e + 1) * count):
                        tf.summary.image("samples", model.decode(z[:4], image_size), max_outputs=4)
    except KeyboardInterrupt:
        bar.close()
        kept = int(epoch.numpy())
        if kept >= FLAGS.epochs:  # noted as the last checkpoint was saved: every epoch is done
            print(f"error: interrupted after the last epoch ({kept}), before the outputs were written; "
                  f"its checkpoint is kept in {checkpoints}", file=sys.stderr)
            sys.exit(130)
        print(f"error: interrupted in epoch {kept + 1}; "
              + (f"the checkpoint of epoch {kept} is kept: add --resume to go on from it" if kept
                 else "no epoch had ended, so there is no checkpoint yet"), file=sys.stderr)
        sys.exit(130)
    except tf.errors.OpError as e:
        if not multi_worker:
            raise
        bar.close()  # a worker stopped: the collective step failed on the others
        kept = int(epoch.numpy())
        print(f"error: --strategy multi_worker: a worker stopped in epoch {kept + 1} ({type(e).__name__}); "
              + (f"start every worker again with --resume to go on from the checkpoint of epoch {kept}" if kept
                 else "no epoch had ended, so there is no checkpoint yet: start every worker again"), file=sys.stderr)
        sys.exit(1)
    bar.close()
    if task != 0:
        print(f"worker {task} done: its checkpoints are in {checkpoints}; worker 0 writes the outputs")
        return
    if FLAGS.mixture:
        means = model.mean_codes(data)
        model.decoder.mixture = latent.fit_mixture(means, FLAGS.mixture, FLAGS.seed)
        z = tf.constant(latent.random_codes(16, FLAGS.latent_dim, FLAGS.seed, model.decoder.mixture))
        print(f"fitted a mixture of {FLAGS.mixture} Gaussians to the codes of the {len(means)} training images")
    pictures = model.decoder.image(size, size, z=z).numpy()
    imaging.save_png(samples, imaging.contact_sheet(list(pictures), columns=4) / 255.0, flag="--out")
    print(f"wrote {samples}")
    decoder = export.save_keras(model.decoder, os.path.join(out, "decoder.keras"))
    print(f"wrote {decoder} (tfart-dream --generator searches its latent space)")
    if fonts:
        written = imaging.save_json(os.path.join(out, "fonts.json"), glyphs.describe(fonts))
        print(f"wrote {written} (the fonts of each split)")
    if FLAGS.export:
        export.export(model.decoder, FLAGS.export, encoder=model.encoder, data=FLAGS.data_dir or FLAGS.dataset,
                      encoder_input=[image_size, image_size, channels])
        print(f"wrote {FLAGS.export}")


def run():
    cli.run(main)


if __name__ == "__main__":
    run()

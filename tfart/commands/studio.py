"""tfart-studio: breed CPPN art in the browser, and steer any picture with a gradient.

    tfart-studio --session studio/first --open
    tfart-studio --session studio/first --weights none        # steer with random features (no download)

Serves one page on http://127.0.0.1:PORT. Click pictures to select parents and press Evolve: the
children are mutants (weights, latent code, an activation swapped, the network grown by units or
a layer without changing its picture) and, from two parents or more, crossovers. Back undoes a
generation; the lineage tree breeds again from any ancestor. Steer runs gradient steps on the
chosen picture toward a style image, a feature channel of VGG16 (--weights) or a class of the
judge (--judge); Render, Export and Latent GIF download a PNG up to 8192 px, a zipped SavedModel
with its tfart-render recipe, and a latent loop. Everything lives in --session: restart the
studio on the same folder and the session is where it was. (Needs the studio extra:
pip install -e .[studio]; steering toward a style offline needs .[hed] too.)
"""
from absl import flags

from tfart import cli
from tfart.studio import LOOPBACK

FLAGS = flags.FLAGS
flags.DEFINE_string("session", "studio", "The session folder: every genome, thumbnail and generation is kept "
                    "there; an existing one is opened where it was left.")
flags.DEFINE_string("host", "127.0.0.1", "Address to serve on (another than 127.0.0.1 shares the studio "
                    "with your network: it has no login).")
flags.DEFINE_integer("port", 8000, "Port to serve on.")
flags.DEFINE_boolean("open", False, "Open the page in a web browser.")
flags.DEFINE_enum("kind", "cppn", ["cppn", "fourier_cppn", "strokes"], "What a new session's first generation is.")
flags.DEFINE_integer("population", 16, "Pictures per generation.")
flags.DEFINE_integer("size", 128, "Thumbnail side in pixels.")
flags.DEFINE_string("weights", "hed", "VGG16 features for steering toward a style or a channel: hed (trained, "
                    "offline with the hed extra), imagenet (downloaded once), a weights file, or none "
                    "(random features: the machinery only).")
flags.DEFINE_string("judge", "digits", "The classifier a 'class' steer asks: digits (trained here in "
                    "seconds), a keras.applications name (ImageNet weights), or a .keras classifier file.")
flags.DEFINE_integer("seed", 0, "Random seed of the session's breeding.")
cli.seed()
flags.register_validator("port", lambda v: 0 <= v <= 65535, message="must be a port number, 0-65535")
cli.positive("population", 64)
flags.register_validator("size", lambda v: 32 <= v <= 512, message="must be 32-512 pixels")
cli.not_empty("session", "a folder")


def main(argv):
    import signal
    import sys
    import threading
    import webbrowser

    try:
        import uvicorn

        from tfart.studio.server import make_app
    except ImportError as e:
        from tfart.errors import UserError
        raise UserError(f"tfart-studio needs the studio extra ({e.name} is missing): pip install -e .[studio]") \
            from None
    from tfart.studio.app import Studio

    if FLAGS.host not in LOOPBACK:
        print(f"warning: --host {FLAGS.host}: anyone who can reach this address can use the studio and "
              "fill its session folder; it has no login", file=sys.stderr)
    cli.use_seed()
    sock = listen(FLAGS.host, FLAGS.port)  # before the session folder is touched: a busy port writes nothing
    studio = Studio(FLAGS.session, weights=FLAGS.weights, judge=FLAGS.judge, population=FLAGS.population,
                    size=FLAGS.size, seed=FLAGS.seed, kind=FLAGS.kind)
    try:
        studio.start()
        host, port = sock.getsockname()[:2]
        app = make_app(studio, loopback_only=FLAGS.host in LOOPBACK)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))

        def announce():
            while not server.started and not server.should_exit:
                threading.Event().wait(0.05)
            if server.started:
                address = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
                print(f"tfart studio: {address}  (session {studio.session.folder}; Ctrl-C stops it)", flush=True)
                if FLAGS.open:
                    webbrowser.open(address)
        threading.Thread(target=announce, daemon=True).start()
        # Ctrl-C and SIGTERM are how a server is stopped: uvicorn finishes the requests in flight,
        # then raises the signal again, which ends here as a normal exit (everything is on disk).
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        print(f"tfart studio stopped; the session is in {studio.session.folder}", flush=True)
    finally:
        sock.close()
        studio.close()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def listen(host, port):
    """A socket bound to host:port (0: any free port), or a one-line error naming --host or --port."""
    import socket

    from tfart.errors import UserError
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        raise UserError(f"--host: {host!r} is not an address of this machine") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise UserError(f"--port: cannot serve on {host}:{port} ({e.strerror or e}); try another --port") from None
    return sock


def run():
    cli.run(main)


if __name__ == "__main__":
    run()

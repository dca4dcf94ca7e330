"""What the studio does, without HTTP: generations, lineage, steering and outputs.

The server (tfart.studio.server) maps routes onto these methods. Breeding happens in the
request; steering, large renders, exports and GIFs are tasks run one at a time in a worker
thread (two cores: two TensorFlow jobs at once would only slow both), each reporting progress
that the page polls. A steer is a jobs.run whose monitor keeps the latest frame.
"""
import concurrent.futures
import dataclasses
import hashlib
import io
import itertools
import os
import re
import shutil
import threading
import time

import numpy as np
from PIL import Image

from tfart.errors import UserError, first_line
from tfart.studio import breed
from tfart.studio.store import Session, check_id

OBJECTIVES = ("style", "channel", "class")
MAX_UPLOAD = 8 * 1024 * 1024        # bytes of an uploaded style image
MAX_UPLOAD_PIXELS = 40_000_000      # pixels, checked from the header before decoding
MAX_RENDER = 8192
UPLOAD_ID = re.compile(r"u[0-9a-f]{16}")
UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")  # not EPS and its kin, which run Ghostscript
MAX_WAITING = 4          # tasks queued behind the running one; more are refused
TASKS_KEPT = 64          # finished tasks remembered (for their downloads); older ones are forgotten
BACKBONES_KEPT = 3       # VGG16 feature models kept built (one per set of layers)
# Adam's learning rate for a steer, per kind: perception.LEARNING_RATES's (0.005 for CPPNs, whose
# art weights are large; 0.05 for strokes, as for ink and marker strokes), which move a picture
# without tearing it apart.
STEER_LR = {"cppn": 0.005, "fourier_cppn": 0.005, "strokes": 0.05}
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


@dataclasses.dataclass
class Task:
    """A background job as the page sees it."""
    id: str
    kind: str                 # steer | render | export | gif
    genome: str
    total: int = 1
    done: int = 0
    loss: float = None
    first_loss: float = None  # a steer's loss at its first step
    finished: bool = False
    error: str = None
    result: str = None        # the steered genome's id
    file: str = None          # what to download (a path the server made)
    download: str = None      # its name for the browser
    frame: bytes = None       # the latest picture of a steer (PNG)
    frames: int = 0

    def view(self):
        return {"id": self.id, "kind": self.kind, "genome": self.genome, "total": self.total, "done": self.done,
                "loss": self.loss, "first_loss": self.first_loss, "finished": self.finished, "error": self.error,
                "result": self.result,
                "download": self.download if self.file else None, "frames": self.frames}


class Frames:
    """A monitor of the steer's loop: progress, loss and a PNG of the picture every few steps."""

    def __init__(self, task, size, every, stopping):
        self.task, self.size, self.every, self.stopping = task, size, every, stopping

    def on_start(self, run):
        pass

    def on_step(self, run, loss, terms):
        if self.stopping.is_set():  # the server is stopping: end the loop as Ctrl-C would
            raise KeyboardInterrupt
        self.task.done, self.task.loss = run.step, float(loss)  # run.step counts the steps taken
        if self.task.first_loss is None:
            self.task.first_loss = float(loss)
        if run.step % self.every == 0 or run.step == self.task.total:
            self.task.frame = png_bytes(run.image())
            self.task.frames += 1

    def on_end(self, run, result):
        pass


def png_bytes(image):
    """[H, W, 3] float in [0, 1] (or uint8) -> PNG bytes, fast (thumbnails are small)."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG", compress_level=1)
    return out.getvalue()


class Studio:
    """A session's studio: `population` candidates of `size` px per generation."""

    def __init__(self, folder, weights="hed", judge="digits", population=16, size=128, seed=0, kind="cppn"):
        self.session = Session(folder)
        self.weights, self.judge_source = weights, judge
        self.population, self.size, self.seed, self.kind = int(population), int(size), int(seed), kind
        self._populations, self._backbones, self._judges = {}, {}, {}
        self.tasks, self._task_ids = {}, itertools.count(1)
        self._run_id = os.urandom(3).hex()  # task ids of one server run: an old tab's t3 is not this run's
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tfart-studio")
        self._steering = set()
        self.stopping = threading.Event()

    def close(self):
        """Stop: the running task ends at its next step or tile (a steer adds nothing), queued ones
        are dropped, and only then is the session folder's lock let go."""
        self.stopping.set()
        self._worker.shutdown(wait=True, cancel_futures=True)
        self.session.close()

    # --- what the page shows ---------------------------------------------------------------------
    def view(self):
        with self.session.lock:
            ids = self.session.generation
            return {"version": self.session.version, "session": self.session.state["token"],
                    "generation": [self._card(i) for i in ids],
                    "generations": len(self.session.state["history"]), "lineage": self.session.lineage(),
                    "kinds": list(breed.KINDS), "objectives": list(OBJECTIVES), "weights": self.weights,
                    "judge": self.judge_source, "steering": sorted(self._steering),
                    "tasks": [t.view() for t in list(self.tasks.values()) if not t.finished]}

    def _card(self, genome_id):
        genome = self.session.genome(genome_id)
        return {"id": genome_id, "kind": genome.kind, "made_by": genome.made_by, "parents": genome.parents,
                "summary": genome.summary(), "about": genome.about}

    # --- breeding --------------------------------------------------------------------------------
    def _renderer(self, kind):
        if kind not in self._populations:
            from tfart.generators.population import Population, StrokePopulation
            self._populations[kind] = StrokePopulation() if kind == "strokes" else \
                Population(breed.to_model(breed.random(kind, 0)))
        return self._populations[kind]

    def thumbnails(self, genomes):
        """One batched render of the genomes (one call per kind) -> PNG bytes each."""
        pngs = [None] * len(genomes)
        for kind in {g.kind for g in genomes}:
            which = [i for i, g in enumerate(genomes) if g.kind == kind]
            images = self._renderer(kind).render([genomes[i].member for i in which], self.size, self.size)
            for i, image in zip(which, images):
                pngs[i] = png_bytes(image)
        return pngs

    def _show(self, genomes, keep=()):
        """Write new genomes with their thumbnails and show `keep` + them as the next generation."""
        ids = list(keep) + [self.session.add(g, png) for g, png in zip(genomes, self.thumbnails(genomes))]
        self.session.push(ids)
        return self.view()

    def _seed(self):
        return self.seed * 1_000_003 + self.session.state["next"] + len(self.tasks)

    def start(self, kind=None):
        """A first generation when the session folder is new."""
        with self.session.lock:
            if not self.session.generation:
                self.new(kind or self.kind)
            else:  # trace the renderer now, not at the first click
                self.thumbnails([self.session.genome(i) for i in self.session.generation])

    def new(self, kind, version=None):
        """A generation of random genomes of `kind` (a new root of the lineage)."""
        if kind not in breed.KINDS:
            raise UserError(f"kind: choose from {', '.join(breed.KINDS)}, got {str(kind)[:40]!r}")
        with self.session.lock:
            self.session.check_version(version)
            base = self._seed()
            return self._show([breed.random(kind, base + i) for i in range(self.population)])

    def evolve(self, parents, strength=0.3, version=None):
        """The selected parents, then children bred from them to fill the generation."""
        strength = _number(strength, "strength", 0.0, 1.0)
        if not isinstance(parents, list) or not parents:
            raise UserError("Evolve: select one picture or more first")
        if len(parents) > self.population:
            raise UserError(f"Evolve: select at most {self.population} parents, got {len(parents)}")
        with self.session.lock:
            self.session.check_version(version)
            ids = list(dict.fromkeys(check_id(p) for p in parents))  # checked first: a list is no key
            chosen = [self.session.genome(i) for i in ids]
            kinds = {g.kind for g in chosen}
            rng = np.random.default_rng(self._seed())
            children = []
            for i in range(max(0, self.population - len(ids))):
                seed = int(rng.integers(2 ** 31))
                if len(chosen) >= 2 and len(kinds) == 1 and i % 2 == 0:
                    a, b = rng.choice(len(chosen), 2, replace=False)
                    children.append(breed.crossover(chosen[a], chosen[b], strength, seed, [ids[a], ids[b]]))
                else:
                    k = i % len(chosen)
                    children.append(breed.mutate(chosen[k], strength, seed, [ids[k]]))
            return self._show(children, keep=ids)

    def branch(self, genome_id, strength=0.3, version=None):
        """Breed again from any genome of the lineage: it, and its mutated children."""
        return self.evolve([check_id(genome_id)], strength, version)

    def back(self, version=None):
        with self.session.lock:
            self.session.check_version(version)
            self.session.back()
            return self.view()

    # --- uploads ---------------------------------------------------------------------------------
    def upload(self, data):
        """Keep an uploaded style image (re-encoded as PNG): its id, for a steer's target."""
        if len(data) > MAX_UPLOAD:
            raise UserError(f"upload: the file is {len(data) // 1024} KB; the limit is {MAX_UPLOAD // 1024 // 1024} MB")
        try:
            # The size is checked from the header, under Pillow's own decompression-bomb limits.
            with Image.open(io.BytesIO(data), formats=UPLOAD_FORMATS) as im:
                if im.width * im.height > MAX_UPLOAD_PIXELS:
                    raise UserError(f"upload: {im.width}x{im.height} pixels is too large an image "
                                    f"(at most {MAX_UPLOAD_PIXELS // 1_000_000} megapixels)")
                im.thumbnail((1024, 1024))
                picture = im.convert("RGB")
        except UserError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UserError(f"upload: too large an image (Pillow's decompression-bomb guard; at most "
                            f"{MAX_UPLOAD_PIXELS // 1_000_000} megapixels)") from None
        except (OSError, SyntaxError, ValueError) as e:
            raise UserError(f"upload: not an image ({', '.join(UPLOAD_FORMATS)}): {first_line(e)}") from None
        upload_id = "u" + hashlib.sha256(data).hexdigest()[:16]
        out = io.BytesIO()
        picture.save(out, format="PNG")
        self.session.write_bytes(self.session.path("uploads", upload_id + ".png"), out.getvalue())
        return upload_id

    # --- tasks -----------------------------------------------------------------------------------
    def _submit(self, kind, genome_id, work, total=1):
        with self.session.lock:
            waiting = sum(not t.finished for t in self.tasks.values())
            if waiting > MAX_WAITING:
                raise UserError(f"{kind}: {waiting} tasks are running or waiting; try again when one is done")
            finished = [i for i, t in self.tasks.items() if t.finished]
            for old in finished[:max(0, len(finished) - TASKS_KEPT)]:
                del self.tasks[old]
            task = Task(f"t{self._run_id}{next(self._task_ids)}", kind, genome_id, total=total)
            self.tasks[task.id] = task

        def run():
            try:
                work(task)
            except UserError as e:
                task.error = str(e)
            except Exception as e:  # shown on the page; the server goes on
                task.error = f"{kind} failed: {first_line(e)}"
            finally:
                task.finished = True
                if kind == "steer":
                    self._steering.discard(genome_id)
        self._worker.submit(run)
        return task.view()

    def task(self, task_id):
        if task_id not in self.tasks:
            raise UserError(f"no task {str(task_id)[:20]!r}")
        return self.tasks[task_id]

    def steer(self, genome_id, objective, target, steps=50, size=128, version=None):
        """Start N gradient steps of an objective on a genome; the result joins the lineage."""
        genome = self.session.genome(genome_id)
        if objective not in OBJECTIVES:
            raise UserError(f"steer: choose an objective from {', '.join(OBJECTIVES)}, got {str(objective)[:40]!r}")
        steps, size = int(_number(steps, "steps", 1, 2000)), int(_number(size, "size", 32, 512))
        with self.session.lock:
            self.session.check_version(version)
            if genome_id in self._steering:
                raise UserError(f"steer: {genome_id} is being steered already")
            self._steering.add(genome_id)

        def work(task):
            from tfart import jobs
            from tfart.optimize import Settings
            loss, backbone, text = self._objective(objective, str(target or ""), size)
            model = breed.to_model(genome)
            result = jobs.run(model, loss, backbone, height=size, width=size,
                              settings=Settings(steps=steps, lr=STEER_LR[genome.kind]),
                              outputs=jobs.Outputs(progress=False),
                              watch=[Frames(task, size, max(1, steps // 25), self.stopping)])
            if result.stopped != "done":
                raise UserError(f"steer stopped: {result.why().split(';')[0]}; kept the picture it started from")
            child = breed.from_model(model, genome.kind, parents=[genome_id], made_by="steer", seed=genome.seed,
                                     about={"objective": text, "steps": steps, "loss": round(result.loss, 6)})
            with self.session.lock:
                new_id = self.session.add(child, self.thumbnails([child])[0])
                shown = self.session.generation
                # In its place if it is still shown; else first, so the grid keeps its size.
                shown = [new_id if i == genome_id else i for i in shown] if genome_id in shown else \
                    [new_id] + shown[:-1]
                self.session.push(shown)
            task.result = new_id
        try:
            return self._submit("steer", genome_id, work, total=steps)
        except UserError:  # not started (too many tasks): the picture is free again
            self._steering.discard(genome_id)
            raise

    def _objective(self, objective, target, size):
        """(objective, backbone or None, its text) for a steer."""
        from tfart import classifiers, objectives
        if objective == "class":
            if self.judge_source not in self._judges:
                self._judges[self.judge_source] = classifiers.Classifier(self.judge_source, flag="--judge")
            judge = self._judges[self.judge_source]
            index = judge.class_index(target or "0", flag="class")
            return classifiers.ensemble([judge], [index]), None, f"class {judge.labels[index]}"
        if objective == "channel":
            layer, _, channel = target.rpartition(":")
            if not layer or not channel.strip().isdigit():
                raise UserError(f"channel: give LAYER:CHANNEL, e.g. block4_conv1:12, got {target[:40]!r}")
            backbone = self._backbone((layer,))
            if int(channel) >= backbone.channels(layer):
                raise UserError(f"channel: {layer} has {backbone.channels(layer)} channels, got {channel}")
            return objectives.channel(layer, int(channel)), backbone, f"channel {target}"
        image = self._style_image(target, size)
        backbone = self._backbone(STYLE_LAYERS)
        return 10.0 * objectives.style(backbone, [image], list(STYLE_LAYERS)), backbone, f"style {target}"

    def _backbone(self, layers):
        from tfart import backbones
        key = tuple(layers)
        if key not in self._backbones:
            if len(self._backbones) >= BACKBONES_KEPT:  # each is a whole VGG16: keep a few
                self._backbones.pop(next(iter(self._backbones)))
            weights = None if self.weights == "none" else self.weights
            self._backbones[key] = backbones.Backbone("vgg16", layers, weights=weights, flag="--weights",
                                                      layers_flag="channel")
        return self._backbones[key]

    def _style_image(self, target, size):
        from tfart import imaging
        if target.startswith("skimage:"):
            return imaging.load_image(target, max_side=2 * size, flag="style")
        if UPLOAD_ID.fullmatch(target):
            path = self.session.path("uploads", target + ".png")
            if os.path.isfile(path):
                return imaging.load_image(path, max_side=2 * size, flag="style")
        raise UserError(f"style: give skimage:NAME (e.g. skimage:coffee) or upload an image, got {target[:40]!r}")

    def render(self, genome_id, size=2048):
        """Start a tiled render of a genome at size x size px; the PNG is the task's download."""
        genome = self.session.genome(genome_id)
        size = int(_number(size, "size", 16, MAX_RENDER))

        def work(task):
            from tfart import imaging, rendering

            def progress(done, total):
                if self.stopping.is_set():
                    raise UserError("render: the studio is stopping")
                task.done, task.total = done, total
            image = rendering.render(breed.to_model(genome), size, size, bits=8, progress=progress)[0]
            path = self.session.path("outputs", f"{genome_id}_{size}px.png")
            imaging.save_png(path, image, flag="render")
            task.file, task.download = path, os.path.basename(path)
        return self._submit("render", genome_id, work)

    def export(self, genome_id):
        """Start an export: a zip of the SavedModel, the .keras file and a tfart-render recipe."""
        genome = self.session.genome(genome_id)

        def work(task):
            import json

            from tfart import export
            model = breed.to_model(genome)
            name = f"tfart_{genome_id}"
            folder = self.session.path("outputs", f".{name}-{os.getpid()}-{time.monotonic_ns()}")
            target = os.path.join(folder, name)
            try:
                os.makedirs(target)
                export.export(model, os.path.join(target, "saved_model"), flag="export",
                              studio={"genome": genome_id, "parents": genome.parents, "made_by": genome.made_by})
                export.save_keras(model, os.path.join(target, name + ".keras"), flag="export")
                code = {"z": genome.arrays["z"].tolist()} if "z" in genome.arrays else {}
                recipe = {"model": name + ".keras", "width": 1024, "height": 1024, "supersample": 1,
                          "seed": genome.seed, **code, "generator": model.get_config(),
                          "studio": {"genome": genome_id, "parents": genome.parents, "made_by": genome.made_by,
                                     "about": genome.about}}
                with open(os.path.join(target, name + ".json"), "w") as f:
                    json.dump(recipe, f, indent=1)
                task.done = 1
                archive = shutil.make_archive(os.path.join(folder, name), "zip", folder, name)
                final = self.session.path("outputs", name + ".zip")
                os.replace(archive, final)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            task.file, task.download = final, name + ".zip"
        return self._submit("export", genome_id, work)

    def svg(self, genome_id, size=1024):
        """Start writing a stroke drawing as SVG (real vector paths) of size x size px."""
        genome = self.session.genome(genome_id)
        size = int(_number(size, "size", 16, MAX_RENDER))
        if genome.kind != "strokes":
            raise UserError(f"svg: {genome_id} is a {genome.kind}, not strokes: render it as a PNG instead")

        def work(task):
            path = self.session.path("outputs", f"{genome_id}.svg")
            self.session.write_bytes(path, breed.to_model(genome).to_svg(size, size).encode())
            task.done, task.file, task.download = 1, path, os.path.basename(path)
        return self._submit("svg", genome_id, work)

    def gif(self, genome_id, size=256, frames=36):
        """Start a latent-loop GIF: the genome's z and three codes near it, and back."""
        genome = self.session.genome(genome_id)

        def work(task):
            from tfart import imaging, latent, rendering
            model = breed.to_model(genome)
            if not model.latent_dim:
                raise UserError(f"gif: {genome_id} has no latent code to move along (a {genome.kind})")
            z = genome.arrays["z"]
            rng = np.random.default_rng(genome.seed)
            keys = np.concatenate([z[None], np.clip(z + rng.normal(0, 0.5, (3, z.size)), -1, 1)])
            path_codes = latent.loop(keys, frames)
            movie = []
            task.total = frames
            for i, code in enumerate(path_codes):
                if self.stopping.is_set():
                    raise UserError("gif: the studio is stopping")
                movie.append(rendering.render(model, size, size, z=code[None], bits=8)[0])
                task.done = i + 1
            path = self.session.path("outputs", f"{genome_id}_loop.gif")
            imaging.save_animation(path, movie, fps=12, flag="gif")
            task.file, task.download = path, os.path.basename(path)
        return self._submit("gif", genome_id, work, total=frames)


def _number(value, name, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name}: expected a number, got {str(value)[:40]!r}") from None
    if not (low <= number <= high):
        raise UserError(f"{name}: must be between {low:g} and {high:g}, got {number:g}")
    return number

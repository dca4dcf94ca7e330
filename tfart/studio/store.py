"""A studio session is a folder: every genome, thumbnail and generation is a file in it.

    DIR/state.json            the generations shown, newest last (Back pops one), and a version
    DIR/genomes/g00017.json   kind, config, parents, how it was made, seed (+ .npz: its weights)
    DIR/thumbs/g00017.png     its thumbnail
    DIR/uploads/u<sha>.png    style images sent from the page, re-encoded
    DIR/outputs/              renders, exports and GIFs made for download

Each file is written under a temporary name and renamed, the weights before the JSON that names
a genome, so a killed server leaves whole genomes or none. One server holds the folder's lock
(a second one is refused); within it, one lock orders the changes, and each change carries the
version the page saw, so a second tab gets a clear message instead of undoing the first's work.
"""
import fcntl
import json
import os
import re
import threading
import uuid

import numpy as np

from tfart.errors import UserError
from tfart.studio.breed import Genome

GENOME_ID = re.compile(r"g\d{5,}")
GENOMES_KEPT = 512  # genomes held in memory; the rest are read back from the folder when asked for


class Stale(Exception):
    """The page acted on a version of the session that another tab has changed since."""


class Session:
    """The session folder, opened by one server."""

    def __init__(self, folder, flag="--session"):
        self.folder = os.path.abspath(folder)
        try:
            for sub in ("genomes", "thumbs", "uploads", "outputs"):
                os.makedirs(os.path.join(self.folder, sub), exist_ok=True)
            self._lock_file = open(os.path.join(self.folder, ".lock"), "a+")
        except OSError as e:
            raise UserError(f"{flag}: cannot use {folder!r} as a session folder ({e.strerror or e})") from None
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise UserError(f"{flag}: {folder!r} is open in another tfart-studio; stop it or give "
                            "another --session") from None
        self.lock = threading.RLock()
        self.state = self._read_state()
        self._genomes = {}
        self._lineage = self._read_lineage()
        # Ids are never reused, even when a kill came between a genome's files and state.json.
        taken = [int(n["id"][1:]) for n in self._lineage]
        self.state["next"] = max([self.state["next"]] + [t + 1 for t in taken])
        # Thumbnail URLs carry this, so a browser's cache never shows another session's g00001.
        self.state.setdefault("token", uuid.uuid4().hex[:12])

    def close(self):
        fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        self._lock_file.close()

    # --- paths -----------------------------------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.folder, *parts)

    def thumb_path(self, genome_id):
        return self.path("thumbs", check_id(genome_id) + ".png")

    def _write(self, path, write):
        """Write through `write(tmp_path)`, then rename: the file is whole or absent."""
        tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def write_bytes(self, path, data):
        def write(tmp):
            with open(tmp, "wb") as f:
                f.write(data)
        self._write(path, write)

    # --- state: the generations shown ------------------------------------------------------------
    def _read_state(self):
        try:
            with open(self.path("state.json")) as f:
                state = json.load(f)
            if not isinstance(state.get("history"), list):
                raise ValueError("no history")
            return state
        except FileNotFoundError:
            return {"version": 0, "next": 1, "history": []}
        except (OSError, ValueError) as e:
            raise UserError(f"--session: {self.path('state.json')!r} is not a studio state file ({e})") from None

    def _save_state(self):
        def write(tmp):
            with open(tmp, "w") as f:
                json.dump(self.state, f, indent=1)
        self._write(self.path("state.json"), write)

    @property
    def version(self):
        return self.state["version"]

    @property
    def generation(self):
        """The genome ids shown now (empty before the first generation)."""
        return list(self.state["history"][-1]) if self.state["history"] else []

    def check_version(self, seen):
        if seen is not None and not isinstance(seen, int):
            raise UserError(f"version: expected a number, got {str(seen)[:20]!r}")
        if seen is not None and seen != self.version:
            raise Stale("this session was changed in another tab; showing its latest state")

    def push(self, ids):
        """Show a new generation (Back returns to the one before)."""
        self.state["history"].append(list(ids))
        self.state["version"] += 1
        self._save_state()

    def back(self):
        if len(self.state["history"]) < 2:
            raise UserError("Back: this is the first generation")
        self.state["history"].pop()
        self.state["version"] += 1
        self._save_state()

    # --- genomes ---------------------------------------------------------------------------------
    def new_id(self):
        number = self.state["next"]
        self.state["next"] = number + 1
        return f"g{number:05d}"

    def add(self, genome, thumbnail_png):
        """Write a genome (weights, thumbnail, then its JSON) and return its id."""
        genome_id = self.new_id()
        def weights(tmp):
            with open(tmp, "wb") as f:
                np.savez(f, **genome.arrays)
        self._write(self.path("genomes", genome_id + ".npz"), weights)
        self.write_bytes(self.thumb_path(genome_id), thumbnail_png)
        record = {"id": genome_id, "kind": genome.kind, "config": genome.config, "parents": genome.parents,
                  "made_by": genome.made_by, "seed": genome.seed, "about": genome.about}

        def write(tmp):
            with open(tmp, "w") as f:
                json.dump(record, f, indent=1)
        self._write(self.path("genomes", genome_id + ".json"), write)
        self._genomes[genome_id] = genome
        self._lineage.append(_node(record))
        return genome_id

    def genome(self, genome_id):
        check_id(genome_id)
        if genome_id not in self._genomes:
            try:
                with open(self.path("genomes", genome_id + ".json")) as f:
                    record = json.load(f)
                with np.load(self.path("genomes", genome_id + ".npz")) as weights:
                    arrays = {k: weights[k] for k in weights.files}
            except FileNotFoundError:
                raise UserError(f"no genome {genome_id} in this session") from None
            if len(self._genomes) > GENOMES_KEPT:  # a long session's genomes stay on disk, not all in memory
                self._genomes.pop(next(iter(self._genomes)))
            self._genomes[genome_id] = Genome(record["kind"], record["config"], arrays, record["parents"],
                                              record["made_by"], record["seed"], record.get("about", {}))
        return self._genomes[genome_id]

    def lineage(self):
        """Every genome's id, parents and how it was made, oldest first."""
        return list(self._lineage)

    def _read_lineage(self):
        records = []
        for name in sorted(os.listdir(self.path("genomes"))):
            if name.endswith(".json") and GENOME_ID.fullmatch(name[:-5]):
                with open(self.path("genomes", name)) as f:
                    records.append(_node(json.load(f)))
        return records


def _node(record):
    return {k: record[k] for k in ("id", "parents", "made_by", "kind")}


def check_id(genome_id):
    """A genome id as the server made it (g00017); anything else, '../' included, is refused."""
    if not isinstance(genome_id, str) or not GENOME_ID.fullmatch(genome_id):
        raise UserError(f"not a genome id: {str(genome_id)[:40]!r}")
    return genome_id

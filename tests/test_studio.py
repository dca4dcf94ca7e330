"""The studio without a browser: breeding operators, the batched renderer, the session folder and
the HTTP API through Starlette's test client (random VGG16 features: no download)."""
import io
import json
import os
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from tfart.errors import UserError
from tfart.generators import CPPN, FourierCPPN
from tfart.generators import population
from tfart.studio import breed

starlette = pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from tfart.studio.app import Studio  # noqa: E402
from tfart.studio.server import make_app  # noqa: E402


# --- the batched renderer ------------------------------------------------------------------------
@pytest.mark.parametrize("cls, extra", [(CPPN, {}), (FourierCPPN, {"grid": (4, 4), "reference_size": 32})])
def test_one_call_renders_every_member_as_its_own_generator(cls, extra):
    models = [cls(seed=1, depth=2, hidden=8, activation="tanh,sin", **extra),
              cls(seed=2, depth=5, hidden=12, activation="softplus,relu,linear,gaussian,tanh", **extra),
              cls(seed=3, **extra)]
    images = population.Population(models[0]).render([(population.arrays_of(m), m.activations) for m in models],
                                                     24, 40)
    assert images.shape == (3, 24, 40, 3)
    for model, image in zip(models, images):
        np.testing.assert_allclose(image, model.image(24, 40).numpy()[0], atol=1e-5)


def test_a_population_refuses_an_activation_it_cannot_mix():
    model = CPPN(seed=0, depth=2, activation="composite")
    with pytest.raises(UserError, match="composite"):
        population.Population(model).render([(population.arrays_of(CPPN(seed=0, depth=2)), ["composite"] * 2)],
                                             8, 8)


def test_one_call_renders_stroke_drawings_of_any_stroke_count_as_their_own_generators():
    from tfart.generators import Strokes
    drawings = [Strokes(strokes=5, style="ink", seed=1), Strokes(strokes=9, style="marker", curves=False, seed=2)]
    members = [({k: v.numpy() for k, v in breed._stroke_variables(d).items()},
                {"low": d.low, "high": d.high, "curves": d.curves}) for d in drawings]
    images = population.StrokePopulation().render(members, 30, 44)
    for drawing, image in zip(drawings, images):
        np.testing.assert_allclose(image, drawing.image(30, 44).numpy()[0], atol=1e-5)


# --- breeding ------------------------------------------------------------------------------------
def picture(genome, size=32):
    return breed.to_model(genome).image(size, size).numpy()[0]


@pytest.mark.parametrize("kind", ["cppn", "fourier_cppn"])
def test_growth_keeps_the_picture_and_adds_room(kind):
    parent = breed.random(kind, 3)
    deeper = parent.child(*breed.add_layer(parent.arrays, parent.config["activation"], 1), "mutation", [], 4)
    wider = parent.child(breed.add_units(parent.arrays, 4, np.random.default_rng(0)), parent.config["activation"],
                         "mutation", [], 5)
    assert deeper.config["depth"] == parent.config["depth"] + 1 and "linear" in deeper.config["activation"]
    assert wider.config["hidden"] == parent.config["hidden"] + 4
    for grown in (deeper, wider):
        np.testing.assert_allclose(picture(grown), picture(parent), atol=1e-5)
    # The new units are live: nudging the grown network's weights changes its picture.
    nudged = breed.mutate(wider, 0.3, 1)
    assert np.abs(picture(nudged) - picture(wider)).mean() > 1e-3


def test_mutation_strength_sets_how_far_children_stray():
    parent = breed.random("cppn", 7)
    near = np.mean([np.abs(picture(breed.mutate(parent, 0.05, s)) - picture(parent)).mean() for s in range(4)])
    far = np.mean([np.abs(picture(breed.mutate(parent, 0.8, s)) - picture(parent)).mean() for s in range(4)])
    assert 0 < near < far


def test_crossover_of_two_shapes_takes_the_larger_and_records_both_parents():
    a, b = breed.random("cppn", 1), breed.random("cppn", 2)
    b = b.child(*breed.add_layer(b.arrays, b.config["activation"], 0), "mutation", [], 9)
    child = breed.crossover(a, b, 0.3, 5, ["ga", "gb"])
    assert child.made_by == "crossover" and child.parents == ["ga", "gb"]
    assert child.config["depth"] == 5
    mine = picture(child)
    assert np.abs(mine - picture(a)).mean() > 1e-3 and np.abs(mine - picture(b)).mean() > 1e-3


def test_stroke_drawings_breed_and_grow():
    a, b = breed.random("strokes", 1), breed.random("strokes", 2)
    grown = [m for m in (breed.mutate(a, 1.0, s) for s in range(12)) if m.about.get("grew")]
    assert grown and all(len(m.arrays["points"]) == len(a.arrays["points"]) + 1 for m in grown)
    assert all(m.config["strokes"] == len(m.arrays["points"]) for m in grown)
    child = breed.crossover(grown[0], b, 0.3, 4, ["ga", "gb"])
    assert child.made_by == "crossover" and len(child.arrays["points"]) == len(grown[0].arrays["points"])
    # every stroke of the child is one of its parents' (before the light mutation: compare nearest)
    parents = np.concatenate([grown[0].arrays["points"], b.arrays["points"]]).reshape(-1, 6)
    nearest = np.abs(child.arrays["points"].reshape(-1, 6)[:, None] - parents[None]).max(-1).min(-1)
    assert np.median(nearest) < 0.1
    assert np.abs(picture(child) - picture(grown[0])).mean() > 1e-3


# --- the session and its API -----------------------------------------------------------------------
@pytest.fixture
def studio(tmp_path):
    made = Studio(str(tmp_path / "session"), weights="none", population=6, size=32)
    made.start()
    yield made
    made.close()


@pytest.fixture
def client(studio):
    return TestClient(make_app(studio), base_url="http://127.0.0.1")


def wait(client, task_id, timeout=120):
    start = time.time()
    while time.time() - start < timeout:
        task = client.get(f"/api/task/{task_id}").json()
        if task["finished"]:
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not finish")


def test_evolve_keeps_the_parents_and_breeds_children_of_them(client):
    state = client.get("/api/state").json()
    assert len(state["generation"]) == 6 and state["generations"] == 1
    parents = [state["generation"][1]["id"], state["generation"][4]["id"]]
    after = client.post("/api/evolve", json={"parents": parents, "strength": 0.4, "version": state["version"]}).json()
    ids = [c["id"] for c in after["generation"]]
    assert ids[:2] == parents and len(ids) == 6
    children = after["generation"][2:]
    assert {c["made_by"] for c in children} == {"mutation", "crossover"}
    assert all(set(c["parents"]) <= set(parents) and c["parents"] for c in children)
    for c in children:  # each thumbnail is a PNG of the session's size
        image = Image.open(io.BytesIO(client.get(f"/api/thumb/{c['id']}").content))
        assert image.size == (32, 32)
    lineage = {n["id"]: n for n in after["lineage"]}
    assert all(lineage[c["id"]]["parents"] == c["parents"] for c in children)


def test_back_branch_and_a_stale_tab(client):
    first = client.get("/api/state").json()
    one = first["generation"][0]["id"]
    second = client.post("/api/evolve", json={"parents": [one], "version": first["version"]}).json()
    # A second tab still showing the first version is told, and changes nothing.
    stale = client.post("/api/evolve", json={"parents": [one], "version": first["version"]})
    assert stale.status_code == 409 and "another tab" in stale.json()["error"]
    assert client.get("/api/state").json()["version"] == second["version"]
    back = client.post("/api/back", json={"version": second["version"]}).json()
    assert [c["id"] for c in back["generation"]] == [c["id"] for c in first["generation"]]
    assert client.post("/api/back", json={"version": back["version"]}).status_code == 400  # nothing before
    leaf = second["generation"][3]["id"]
    branched = client.post("/api/branch", json={"id": leaf, "version": back["version"]}).json()
    assert branched["generation"][0]["id"] == leaf
    assert all(c["parents"] == [leaf] for c in branched["generation"][1:])


def test_the_session_folder_survives_a_restart_and_refuses_a_second_server(tmp_path):
    folder = str(tmp_path / "s")
    studio = Studio(folder, weights="none", population=4, size=32)
    studio.start()
    shown = TestClient(make_app(studio), base_url="http://127.0.0.1").post(
        "/api/evolve", json={"parents": [studio.session.generation[2]]}).json()
    with pytest.raises(UserError, match="open in another tfart-studio"):
        Studio(folder, weights="none")
    studio.close()
    again = Studio(folder, weights="none", population=4, size=32)
    again.start()  # does not start a new generation: the session is where it was
    state = TestClient(make_app(again), base_url="http://127.0.0.1").get("/api/state").json()
    again.close()
    assert [c["id"] for c in state["generation"]] == [c["id"] for c in shown["generation"]]
    assert state["version"] == shown["version"] and state["generations"] == 2
    assert not [f for f in os.listdir(os.path.join(folder, "genomes")) if ".tmp" in f]


@pytest.mark.parametrize("path", ["/api/thumb/..%2Fstate.json", "/api/thumb/%2e%2e%2fstate.json",
                                  "/static/..%2F..%2Fstudio%2Fapp.py", "/api/state?x=../../etc/passwd"])
def test_dot_dot_is_refused_everywhere(client, path):
    response = client.get(path)
    assert response.status_code == 400 and "'..'" in response.json()["error"]


def test_ids_from_the_client_are_never_paths(client):
    state = client.get("/api/state").json()
    for bad in ("../state", "/etc/passwd", "g1", "state", ["g00001"], {"id": 1}, 7):
        response = client.post("/api/evolve", json={"parents": [bad], "version": state["version"]})
        assert response.status_code == 400 and "not a genome id" in response.json()["error"]
    assert client.post("/api/render", json={"id": "x/../../y"}).status_code == 400
    assert client.get("/api/task/nope").status_code == 400


def test_uploads_are_capped_and_checked(client, studio):
    text = client.post("/api/upload", content=b"hello, not an image", headers={"Content-Type": "text/plain"})
    assert text.status_code == 400 and "not an image" in text.json()["error"]
    big = client.post("/api/upload", content=b"\0" * (9 * 1024 * 1024))
    assert big.status_code == 400 and "limit" in big.json()["error"]
    # Small files that decode to 49 and 900 megapixels: refused from their headers, never decoded
    # (the first by the studio's own limit, the second by Pillow's decompression-bomb guard).
    for side in (7000, 30000):
        bomb = io.BytesIO()
        Image.new("1", (side, side)).save(bomb, format="PNG")
        assert len(bomb.getvalue()) < 1024 * 1024
        answer = client.post("/api/upload", content=bomb.getvalue(), headers={"Content-Type": "image/png"})
        assert answer.status_code == 400 and "too large an image" in answer.json()["error"]
    good = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 50, 3), np.uint8)).save(good, format="JPEG")
    upload = client.post("/api/upload", content=good.getvalue(), headers={"Content-Type": "image/jpeg"}).json()
    assert os.path.isfile(studio.session.path("uploads", upload["upload"] + ".png"))


def test_a_steer_joins_the_lineage_and_replaces_the_picture_it_started_from(client, studio):
    state = client.get("/api/state").json()
    start = state["generation"][2]["id"]
    # A style always has a gradient; a channel of random features can be dead (all zero after its ReLU).
    task = client.post("/api/steer", json={"id": start, "objective": "style", "target": "skimage:coffee",
                                           "steps": 6, "size": 32, "version": state["version"]}).json()
    done = wait(client, task["id"])
    assert done["error"] is None and done["done"] == 6 and done["frames"] >= 1
    after = client.get("/api/state").json()
    assert after["generation"][2]["id"] == done["result"]
    steered = after["generation"][2]
    assert steered["made_by"] == "steer" and steered["parents"] == [start]
    assert steered["about"]["objective"] == "style skimage:coffee"
    assert np.abs(picture(studio.session.genome(done["result"])) - picture(studio.session.genome(start))).mean() > 0
    frame = Image.open(io.BytesIO(client.get(f"/api/task/{task['id']}/frame").content))
    assert frame.size == (32, 32)


def test_a_steer_toward_an_uploaded_style(client):
    good = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8)).save(good, format="PNG")
    upload = client.post("/api/upload", content=good.getvalue()).json()["upload"]
    state = client.get("/api/state").json()
    task = client.post("/api/steer", json={"id": state["generation"][0]["id"], "objective": "style",
                                           "target": upload, "steps": 3, "size": 32}).json()
    done = wait(client, task["id"])
    assert done["error"] is None and done["result"]


@pytest.mark.parametrize("objective, target, message", [
    ("channel", "block9_conv9:1", "unknown layer block9_conv9"),
    ("channel", "block2_conv1:999", "has 128 channels"),
    ("style", "/etc/passwd", "give skimage:NAME"),
    ("class", "eleven", "no class named 'eleven'"),
])
def test_a_bad_steer_says_why_in_one_line_and_keeps_the_picture(client, objective, target, message):
    state = client.get("/api/state").json()
    task = client.post("/api/steer", json={"id": state["generation"][1]["id"], "objective": objective,
                                           "target": target, "steps": 2, "size": 32}).json()
    done = wait(client, task["id"])
    assert message in done["error"] and "\n" not in done["error"] and done["result"] is None
    assert client.get("/api/state").json()["generation"] == state["generation"]


def test_a_steer_that_blows_up_keeps_the_picture(client, monkeypatch):
    import tensorflow as tf

    from tfart import objectives
    from tfart.studio import app

    # An objective that turns NaN from its third step on, as a diverging one does.
    steps = tf.Variable(0.0)

    def diverging(ctx):
        steps.assign_add(1.0)
        return tf.reduce_mean(ctx.image) * tf.where(steps > 2, np.nan, 1.0)
    monkeypatch.setattr(app.Studio, "_objective", lambda self, *a: (objectives.Objective(diverging, "nan"), None, "nan"))
    state = client.get("/api/state").json()
    task = client.post("/api/steer", json={"id": state["generation"][0]["id"], "objective": "channel",
                                           "target": "block1_conv1:0", "steps": 5, "size": 32}).json()
    done = wait(client, task["id"])
    assert "non-finite" in done["error"] or "nan" in done["error"].lower()
    assert "kept the picture it started from" in done["error"]
    assert client.get("/api/state").json()["generation"] == state["generation"]


def test_render_export_and_gif_downloads(client, studio, tmp_path):
    genome = client.get("/api/state").json()["generation"][3]["id"]
    done = wait(client, client.post("/api/render", json={"id": genome, "size": 200}).json()["id"])
    png = client.get(f"/api/task/{done['id']}/download")
    assert png.status_code == 200 and done["download"] == f"{genome}_200px.png"
    rendered = np.asarray(Image.open(io.BytesIO(png.content)))
    assert rendered.shape == (200, 200, 3)
    np.testing.assert_allclose(rendered / 255.0, picture(studio.session.genome(genome), 200), atol=1 / 255 + 1e-6)

    done = wait(client, client.post("/api/export", json={"id": genome}).json()["id"])
    assert done["error"] is None
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/task/{done['id']}/download").content))
    archive.extractall(tmp_path)
    folder = tmp_path / f"tfart_{genome}"
    recipe = json.loads((folder / f"tfart_{genome}.json").read_text())
    assert recipe["model"] == f"tfart_{genome}.keras" and (folder / recipe["model"]).is_file()
    from tfart import export
    loaded = export.load(str(folder / "saved_model"))
    np.testing.assert_allclose(loaded.image(40, 40).numpy(), picture(studio.session.genome(genome), 40)[None],
                               atol=1e-5)

    done = wait(client, client.post("/api/gif", json={"id": genome}).json()["id"])
    gif = Image.open(io.BytesIO(client.get(f"/api/task/{done['id']}/download").content))
    assert gif.n_frames == 36 and gif.size == (256, 256)


def test_the_recipe_of_an_export_renders_with_tfart_render(client, tmp_path, run_script):
    genome = client.get("/api/state").json()["generation"][0]["id"]
    done = wait(client, client.post("/api/export", json={"id": genome}).json()["id"])
    zipfile.ZipFile(io.BytesIO(client.get(f"/api/task/{done['id']}/download").content)).extractall(tmp_path)
    out = tmp_path / "big.png"
    code, stdout, stderr = run_script("render", "--recipe", str(tmp_path / f"tfart_{genome}" / f"tfart_{genome}.json"),
                                      "--width", "96", "--height", "64", "--out", str(out))
    assert code == 0, stderr
    assert Image.open(out).size == (96, 64)


def test_size_limits_and_unknown_kinds_are_one_line_errors(client):
    genome = client.get("/api/state").json()["generation"][0]["id"]
    answer = client.post("/api/render", json={"id": genome, "size": 9000})
    assert answer.status_code == 400 and "between 16 and 8192" in answer.json()["error"]
    answer = client.post("/api/new", json={"kind": "teapot"})
    assert answer.status_code == 400 and "cppn, fourier_cppn" in answer.json()["error"]
    fourier = client.post("/api/new", json={"kind": "fourier_cppn"}).json()
    assert {c["kind"] for c in fourier["generation"]} == {"fourier_cppn"}
    answer = client.post("/api/svg", json={"id": fourier["generation"][0]["id"]})
    assert answer.status_code == 400 and "not strokes" in answer.json()["error"]


def test_strokes_breed_steer_and_download_as_svg(client, tmp_path):
    strokes = client.post("/api/new", json={"kind": "strokes"}).json()
    assert {c["kind"] for c in strokes["generation"]} == {"strokes"}
    assert all(c["summary"].startswith("24 ") for c in strokes["generation"])
    first = strokes["generation"][0]["id"]
    bred = client.post("/api/evolve", json={"parents": [first, strokes["generation"][1]["id"]],
                                            "version": strokes["version"]}).json()
    assert {c["kind"] for c in bred["generation"]} == {"strokes"}
    done = wait(client, client.post("/api/steer", json={"id": first, "objective": "channel",
                                                        "target": "block1_conv2:5", "steps": 4, "size": 32}).json()["id"])
    assert done["error"] is None and done["result"]
    done = wait(client, client.post("/api/svg", json={"id": done["result"], "size": 300}).json()["id"])
    svg = client.get(f"/api/task/{done['id']}/download").text
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"')
    assert svg.count("<path ") == 24
    answer = wait(client, client.post("/api/gif", json={"id": first}).json()["id"])
    assert "has no latent code" in answer["error"]


# --- the command -----------------------------------------------------------------------------------
def test_a_busy_port_and_a_bad_flag_are_one_line_errors_that_write_nothing(run_script, tmp_path):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, stdout, stderr = run_script("studio", "--session", str(tmp_path / "s"), "--port", str(port),
                                          "--weights", "none", timeout=120)
    assert code == 2 and stderr.strip().splitlines()[-1].startswith(f"error: --port: cannot serve on 127.0.0.1:{port}")
    assert not (tmp_path / "s").exists()
    code, _, stderr = run_script("studio", "--size", "9")
    assert code == 2 and "--size" in stderr


def test_another_host_is_served_with_a_warning(tmp_path):
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, os.path.join(root, "scripts", "studio.py"), "--session",
                             str(tmp_path / "s"), "--host", "0.0.0.0", "--port", "0", "--weights", "none",
                             "--population", "2", "--size", "32"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("tfart studio: http://0.0.0.0:"), line
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert "warning: --host 0.0.0.0" in stderr and proc.returncode == 0


def test_a_steer_toward_a_class_of_the_digits_judge_raises_its_probability(client, studio):
    import tensorflow as tf
    state = client.get("/api/state").json()
    start = state["generation"][1]["id"]
    done = wait(client, client.post("/api/steer", json={"id": start, "objective": "class", "target": "3",
                                                        "steps": 25, "size": 32}).json()["id"])
    assert done["error"] is None and done["loss"] < done["first_loss"]
    judge = studio._judges["digits"]
    p = lambda genome_id: float(judge.probabilities(tf.constant(picture(studio.session.genome(genome_id))[None]))[0, 3])  # noqa: E731
    assert p(done["result"]) > p(start)



def test_other_sites_and_other_host_names_are_refused(client):
    assert client.get("/api/state", headers={"Host": "rebound.example:8000"}).status_code == 403
    state = client.get("/api/state").json()
    body = {"parents": [state["generation"][0]["id"]], "version": state["version"]}
    answer = client.post("/api/evolve", json=body, headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403 and "another site" in answer.json()["error"]
    # A form or a no-cors fetch can only send text/plain: refused before it is read.
    answer = client.post("/api/evolve", content=json.dumps(body), headers={"Content-Type": "text/plain"})
    assert answer.status_code == 400 and "application/json" in answer.json()["error"]
    answer = client.post("/api/evolve", json=body, headers={"Origin": "http://127.0.0.1"})
    assert answer.status_code == 200


def test_requests_and_queues_are_bounded(client, studio):
    state = client.get("/api/state").json()
    too_many = client.post("/api/evolve", json={"parents": [c["id"] for c in state["generation"]] + ["g00099"]})
    assert too_many.status_code == 400 and "at most 6 parents" in too_many.json()["error"]
    huge = client.post("/api/new", content=b'{"kind": "' + b"x" * 70000 + b'"}',
                       headers={"Content-Type": "application/json"})
    assert huge.status_code == 400 and "over 64 KB" in huge.json()["error"]
    streamed = client.post("/api/upload", content=iter([b"\0" * 1024 * 1024] * 9))  # chunked: no Content-Length
    assert streamed.status_code == 400 and "over the limit" in streamed.json()["error"]


def test_each_session_has_its_own_thumbnail_token(tmp_path):
    tokens = []
    for name in ("a", "b"):
        studio = Studio(str(tmp_path / name), weights="none", population=2, size=32)
        studio.start()
        tokens.append(studio.view()["session"])
        studio.close()
    again = Studio(str(tmp_path / "a"), weights="none", population=2, size=32)
    assert tokens[0] != tokens[1] and again.view()["session"] == tokens[0]
    again.close()


def test_ids_are_not_reused_after_a_kill_between_a_genome_and_the_state(tmp_path):
    studio = Studio(str(tmp_path / "s"), weights="none", population=2, size=32)
    studio.start()
    orphan = studio.session.add(breed.random("cppn", 9), b"png")  # written, never shown: then the kill
    studio.session.close()
    again = Studio(str(tmp_path / "s"), weights="none", population=2, size=32)
    assert again.session.new_id() > orphan
    again.close()


def test_stopping_ends_a_running_steer_before_letting_go_of_the_folder(tmp_path):
    folder = str(tmp_path / "s")
    studio = Studio(folder, weights="none", population=2, size=32)
    studio.start()
    task = studio.steer(studio.session.generation[0], "style", "skimage:coffee", steps=2000, size=32)
    while studio.tasks[task["id"]].done < 2:
        time.sleep(0.05)
    count = len(studio.session.lineage())
    studio.close()  # returns once the steer has stopped
    stopped = studio.tasks[task["id"]]
    assert stopped.finished and "interrupted" in stopped.error and stopped.done < 2000
    again = Studio(folder, weights="none", population=2, size=32)  # the folder is free, and unchanged
    assert len(again.session.lineage()) == count
    again.close()


def test_a_steer_refused_for_a_full_queue_leaves_the_picture_free(client, monkeypatch):
    from tfart.studio import app
    monkeypatch.setattr(app, "MAX_WAITING", -1)
    genome = client.get("/api/state").json()["generation"][0]["id"]
    answer = client.post("/api/steer", json={"id": genome, "objective": "style", "target": "skimage:coffee"})
    assert answer.status_code == 400 and "tasks are running or waiting" in answer.json()["error"]
    assert client.get("/api/state").json()["steering"] == []

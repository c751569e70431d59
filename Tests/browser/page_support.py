"""What the page's browser tests share: a `recurrent serve` on a free loopback
port with a database in a temporary folder, a headless Chromium driven by
Selenium (the system chromedriver), the console watcher, and small helpers
that read and drive the page.

Environment: RECURRENT_BINARY (default .build/release/recurrent),
CHROMIUM (default /usr/bin/chromium), CHROMEDRIVER (default /usr/bin/chromedriver).
"""

import base64
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

selenium = pytest.importorskip("selenium", reason="selenium is not installed (python3 -m pip install selenium)")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "public"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PRETRAINED = PUBLIC / "pretrained" / "lstm-100.json"
BINARY = ROOT / os.environ.get("RECURRENT_BINARY", ".build/release/recurrent")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

SMALL_CORPUS = "\n".join([
    "the cat sat on the mat.",
    "the dog sat on the log.",
    "a cat and a dog met.",
    "the mat was red.",
    "the log was wet.",
    "a red cat sat.",
    "a wet dog ran.",
    "the cat ran to the dog.",
])
XSS_NAME = '<img src=x onerror="window.__xss=1">'
XSS_CORPUS = "\n".join([
    "<script>window.__xss=2</script>",
    "<img src=x onerror=window.__xss=3>",
    "plain words & <b>bold</b> text",
])


# ---------------------------------------------------------------------------
# Fixtures: the server, the browser, the console


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_json(base, method, path, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


@contextlib.contextmanager
def running_server(arguments, environment=None):
    """`recurrent serve ARGUMENTS` with a database in a temporary folder
    (passed as {folder} in the arguments), until the block ends. Yields the
    base URL; `environment` replaces the RECURRENT_ variables of this process."""
    if not BINARY.exists():
        pytest.fail(f"the server binary {BINARY} does not exist: build it with "
                    "`swift build -c release --product recurrent` or set RECURRENT_BINARY")
    folder = Path(tempfile.mkdtemp(prefix="recurrent-page-"))
    port = free_port()
    log = open(folder / "server.log", "w+b")
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECURRENT_")}
    env.update({key: value.format(folder=folder, port=port) for key, value in (environment or {}).items()})
    process = subprocess.Popen(
        [str(BINARY), "serve"] + [argument.format(folder=folder, port=port) for argument in arguments],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"the server exited with {process.returncode}:\n{log.read().decode(errors='replace')}")
            try:
                if http_json(base, "GET", "/api/health", timeout=2)["status"] == "ok":
                    break
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("the server did not answer GET /api/health within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    with running_server(["--host", "127.0.0.1", "--port", "{port}", "--database", "{folder}/db.sqlite",
                         "--public", str(PUBLIC), "--max-jobs", "4", "--checkpoint-seconds", "5"]) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            pytest.fail(f"{path} is missing: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--disable-extensions", "--no-first-run",
                     "--disable-background-networking", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class Console:
    """The browser's console errors; a test declares the ones it expects."""

    def __init__(self, driver):
        self.driver = driver
        self.expected = []
        self.seen = []

    def expect(self, pattern):
        self.expected.append(re.compile(pattern))

    def check(self):
        entries = self.driver.get_log("browser")
        self.seen.extend(entries)
        errors = [entry for entry in entries if entry["level"] == "SEVERE"]
        unexpected = [entry["message"] for entry in errors
                      if not any(pattern.search(entry["message"]) for pattern in self.expected)]
        for pattern in self.expected:
            assert any(pattern.search(entry["message"]) for entry in errors), \
                f"expected a console error matching {pattern.pattern!r}; got {[e['message'] for e in errors]}"
        self.expected = []
        assert not unexpected, "errors in the browser console:\n" + "\n".join(unexpected)


@pytest.fixture(scope="module")
def console(browser):
    return Console(browser)


@pytest.fixture(autouse=True)
def no_console_errors(console):
    yield
    console.check()


@pytest.fixture(scope="module")
def page(browser, server):
    browser.get(server + "/")
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "true", "the page to start")
    return browser


# ---------------------------------------------------------------------------
# Helpers


def wait_for(driver, condition, what, timeout=20):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)
    except Exception as error:  # noqa: BLE001 - say what we waited for
        shot(driver, "failure-" + re.sub(r"\W+", "-", what)[:40])
        error_text = driver.find_element(By.ID, "error-text").text
        raise AssertionError(f"timed out after {timeout} s waiting for {what}"
                             + (f" (the page says: {error_text})" if error_text else "")) from error


def shot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    try:
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        # The whole page; as wide as the window, since capturing beyond the
        # viewport lays the page out again without a scroll bar.
        width = max(size["width"], driver.execute_script("return window.innerWidth"))
        data = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1}})["data"]
        path.write_bytes(base64.b64decode(data))
    except Exception:  # noqa: BLE001 - a plain viewport screenshot will do
        driver.save_screenshot(str(path))
    return path


def text(driver, element_id):
    return driver.find_element(By.ID, element_id).text


def number(driver, element_id):
    """The first number an element shows (None for "–")."""
    found = re.search(r"-?\d+(\.\d+)?", text(driver, element_id).replace(",", ""))
    return float(found.group()) if found else None


def set_value(driver, element_id, value):
    """Sets a field as typing would, firing `input` (fast for long texts)."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));",
        element_id, value)


def click(driver, element_id):
    element = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    wait_for(driver, lambda d: element.is_enabled(), f"#{element_id} to be enabled")
    element.click()


def current_id(driver):
    value = driver.execute_script("return localStorage.getItem('recurrent.currentModel')")
    return int(value) if value else None


def texts(driver, selector):
    """The text of every element matching `selector`, read in one step (the
    page re-renders lists while it runs, so element references go stale)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)", selector)


def samples_shown(driver):
    return len(texts(driver, "#sample-list li")) == 5 and text(driver, "greedy") != ""


def learn(driver, corpus, name, hidden="8", letter="3", generator="lstm"):
    before = current_id(driver)
    set_value(driver, "corpus", corpus)
    set_value(driver, "opt-name", name)
    set_value(driver, "opt-hidden", hidden)
    set_value(driver, "opt-letter", letter)
    driver.find_element(By.CSS_SELECTOR, f"#opt-generator option[value='{generator}']").click()
    click(driver, "btn-learn")
    wait_for(driver, lambda d: current_id(d) not in (None, before), "the new model")
    return current_id(driver)

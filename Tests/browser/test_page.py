"""The browser demo page, in a real headless Chromium against a real server.

The module starts `recurrent serve` on a free loopback port with a database in
a temporary folder, drives the page with Selenium (the system chromedriver),
and stops the server at the end. The tests run in order and share one page,
as a person would use it: learn, pause, resume, change the learning rate,
save, load, load the pretrained model, and so on. After every test the
browser's console must hold no errors other than those the test expected.

Screenshots of the main states go to artifacts/screenshots/.

Environment: RECURRENT_BINARY (default .build/release/recurrent),
CHROMIUM (default /usr/bin/chromium), CHROMEDRIVER (default /usr/bin/chromedriver).
"""

import json
import math
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("selenium", reason="selenium is not installed (python3 -m pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from page_support import browser, console, no_console_errors, page, server  # noqa: E402,F401 - fixtures
from page_support import (PRETRAINED, PUBLIC, ROOT, SMALL_CORPUS, XSS_CORPUS, XSS_NAME, click, current_id,  # noqa: E402
                          http_json, learn, number, samples_shown, set_value, shot, text, texts, wait_for)


# ---------------------------------------------------------------------------
# Tests, in the order a person would use the page


def test_default_corpus_file_is_the_project_corpus(server):
    corpus = (ROOT / "Corpus" / "default.txt").read_bytes()
    assert (PUBLIC / "default-corpus.txt").read_bytes() == corpus, \
        "public/default-corpus.txt differs from Corpus/default.txt: copy it again"
    with urllib.request.urlopen(server + "/default-corpus.txt", timeout=10) as response:
        assert response.read() == corpus


def test_page_opens_with_the_default_corpus(page):
    assert "recurrent" in page.title
    corpus = (ROOT / "Corpus" / "default.txt").read_text()
    value = page.execute_script("return document.getElementById('corpus').value")
    assert value == corpus.replace("\r\n", "\n")
    assert page.find_element(By.ID, "opt-generator").get_attribute("value") == "lstm"
    assert text(page, "model-status") == "no model"
    assert page.find_element(By.ID, "btn-learn").is_enabled()
    assert not page.find_element(By.ID, "btn-pause").is_enabled()
    shot(page, "01-opened")


def test_learn_shows_points_samples_and_stats(page, server):
    model_id = learn(page, SMALL_CORPUS, "browser test")
    wait_for(page, lambda d: text(d, "model-status") == "running", "the model to run")
    wait_for(page, lambda d: int(text(d, "graph-count")) >= 3, "three perplexity points on the graph", timeout=30)
    wait_for(page, samples_shown, "five samples and the greedy prediction", timeout=30)
    wait_for(page, lambda d: (number(d, "stat-ticks") or 0) >= 300, "the tick counter to pass 300")
    wait_for(page, lambda d: number(d, "stat-rate") is not None, "ticks per second")
    assert text(page, "stat-time").endswith("ms")
    assert number(page, "stat-epoch") > 0
    assert number(page, "stat-perplexity") > 1
    assert "server-sent events" in text(page, "live-mode")

    model = http_json(server, "GET", f"/api/models/{model_id}")
    assert model["name"] == "browser test"
    assert model["config"]["generator"] == "lstm"
    assert model["config"]["hidden_sizes"] == [8]
    assert model["config"]["letter_size"] == 3
    # The job writes its history in batches, so the server's copy may lag the stream.
    metrics = wait_for(page, lambda d: (lambda points: points if len(points) >= 3 else None)(
        http_json(server, "GET", f"/api/models/{model_id}/metrics")["metrics"]), "three points on the server")
    assert metrics[0]["step"] == 100
    wait_for(page, lambda d: texts(d, "#model-rows tr.is-current td.name") == ["browser test"],
             "the model, marked, in the list of models")
    shot(page, "02-training")


def test_pause_stops_the_tick_counter(page, server):
    model_id = current_id(page)
    click(page, "btn-pause")
    wait_for(page, lambda d: text(d, "model-status") == "paused", "the model to pause")
    ticks = number(page, "stat-ticks")
    assert http_json(server, "GET", f"/api/models/{model_id}")["ticks"] == ticks
    time.sleep(1.5)
    assert number(page, "stat-ticks") == ticks
    assert http_json(server, "GET", f"/api/models/{model_id}")["ticks"] == ticks
    assert not page.find_element(By.ID, "btn-pause").is_enabled()
    assert page.find_element(By.ID, "btn-resume").is_enabled()
    shot(page, "03-paused")


def test_resume_continues(page):
    ticks = number(page, "stat-ticks")
    click(page, "btn-resume")
    wait_for(page, lambda d: text(d, "model-status") == "running", "the model to run again")
    wait_for(page, lambda d: number(d, "stat-ticks") > ticks + 100, "the tick counter to move again")


def test_learning_rate_slider_changes_the_running_model(page, server):
    model_id = current_id(page)
    slider = page.find_element(By.ID, "lr-slider")
    assert float(slider.get_attribute("min")) == pytest.approx(math.log10(0.01) - 3)
    assert float(slider.get_attribute("max")) == pytest.approx(math.log10(0.01) + 0.05)
    assert float(slider.get_attribute("value")) == pytest.approx(-2)
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", slider)
    for _ in range(4):  # four steps of 0.05 to the left: 10^-2.2
        slider.send_keys(Keys.ARROW_LEFT)
    assert float(slider.get_attribute("value")) == pytest.approx(-2.2)
    expected = 10 ** float(slider.get_attribute("value"))
    assert expected < 0.01
    wait_for(page, lambda d: http_json(server, "GET", f"/api/models/{model_id}")["learning_rate"]
             == pytest.approx(expected, rel=1e-6), "the server's learning rate to follow the slider")
    assert float(text(page, "lr-value")) == pytest.approx(expected, rel=0.01)
    assert http_json(server, "GET", f"/api/models/{model_id}")["status"] == "running"


def test_temperature_slider_resamples(page, server):
    model_id = current_id(page)
    slider = page.find_element(By.ID, "temp-slider")
    assert (float(slider.get_attribute("min")), float(slider.get_attribute("max"))) == (-1, 1.05)
    assert float(slider.get_attribute("value")) == 0 and text(page, "temp-value") == "1"
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", slider)
    slider.send_keys(Keys.ARROW_LEFT)
    slider.send_keys(Keys.ARROW_LEFT)
    expected = round(10 ** -0.1, 2)
    assert float(text(page, "temp-value")) == pytest.approx(expected, abs=0.01)
    wait_for(page, lambda d: http_json(server, "GET", f"/api/models/{model_id}")["sample_temperature"]
             == pytest.approx(expected, abs=0.01), "the server's sample temperature to follow the slider")
    wait_for(page, samples_shown, "samples at the new temperature")


def test_save_puts_model_json_in_the_textarea(page, server):
    click(page, "btn-pause")
    wait_for(page, lambda d: text(d, "model-status") == "paused", "the model to pause")
    click(page, "btn-save")
    wait_for(page, lambda d: d.execute_script("return document.getElementById('model-json').value").startswith("{"),
             "the saved model JSON")
    saved = json.loads(page.execute_script("return document.getElementById('model-json').value"))
    assert saved["generator"] == "lstm"
    assert saved["hidden_sizes"] == [8]
    assert saved["letter_size"] == 3
    for key in ("Wil", "Wix0", "Whd", "bd"):
        assert key in saved["model"]
    assert saved["model"]["Wil"]["d"] == 3
    assert set(saved["letterToIndex"]) == set(SMALL_CORPUS.replace("\n", ""))
    assert "step_cache" in saved["solver"]
    link = page.find_element(By.ID, "download")
    assert link.is_displayed()
    assert link.get_attribute("href").startswith("blob:")
    assert link.get_attribute("download").endswith(".json")
    shot(page, "04-saved")


def test_load_it_back(page, server):
    saved_from = current_id(page)
    saved = json.loads(page.execute_script("return document.getElementById('model-json').value"))
    click(page, "btn-load")
    wait_for(page, lambda d: current_id(d) not in (None, saved_from), "the loaded model")
    loaded_id = current_id(page)
    wait_for(page, samples_shown, "samples from the loaded model")
    wait_for(page, lambda d: "on the input" in text(d, "stat-perplexity"), "the loaded model's perplexity")
    assert text(page, "model-status") == "idle"
    model = http_json(server, "GET", f"/api/models/{loaded_id}")
    assert model["config"]["hidden_sizes"] == [8]
    assert model["ticks"] == http_json(server, "GET", f"/api/models/{saved_from}")["ticks"]
    assert sorted(model["vocabulary"]) == sorted(saved["letterToIndex"])
    assert page.find_element(By.ID, "btn-resume").is_enabled()  # the export carries its sentences
    shot(page, "05-loaded")

    # The same file, uploaded.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "saved model.json"
        path.write_text(json.dumps(saved))
        page.find_element(By.ID, "file-input").send_keys(str(path))
        wait_for(page, lambda d: current_id(d) not in (None, loaded_id), "the uploaded model")
    wait_for(page, lambda d: text(d, "model-name") == "saved model" or text(d, "model-name") == saved.get("name"),
             "the uploaded model's name")
    wait_for(page, samples_shown, "samples from the uploaded model")
    uploaded = http_json(server, "GET", f"/api/models/{current_id(page)}")
    assert uploaded["config"]["hidden_sizes"] == [8] and uploaded["status"] == "idle"


def test_load_pretrained_shows_samples_at_once(page, server):
    if not PRETRAINED.exists():
        pytest.skip(f"{PRETRAINED.relative_to(ROOT)} does not exist yet (scripts/train-pretrained makes it)")
    before = current_id(page)
    set_value(page, "corpus", (ROOT / "Corpus" / "default.txt").read_text())
    click(page, "btn-pretrained")
    wait_for(page, lambda d: current_id(d) not in (None, before), "the pretrained model", timeout=60)
    wait_for(page, samples_shown, "samples from the pretrained model", timeout=30)
    wait_for(page, lambda d: "on the input" in text(d, "stat-perplexity"), "the pretrained model's perplexity",
             timeout=30)
    perplexity = number(page, "stat-perplexity")
    model = http_json(server, "GET", f"/api/models/{current_id(page)}")
    assert model["config"]["generator"] == "lstm" and model["config"]["hidden_sizes"] == [100]
    # The model options now describe the model on screen.
    assert page.find_element(By.ID, "opt-hidden").get_attribute("value") == "100"
    assert page.find_element(By.ID, "opt-letter").get_attribute("value") == "5"
    assert page.find_element(By.ID, "opt-generator").get_attribute("value") == "lstm"
    assert perplexity < 6, f"the pretrained model's perplexity on the default corpus is {perplexity}"
    samples = texts(page, "#sample-list li")
    assert sum(len(sample) for sample in samples) > 20
    shot(page, "06-pretrained")


def test_html_from_a_corpus_and_a_name_renders_as_text(page, server):
    model_id = learn(page, XSS_CORPUS, XSS_NAME)
    wait_for(page, lambda d: text(d, "model-name") == XSS_NAME, "the model's name as text")
    wait_for(page, lambda d: XSS_NAME in texts(d, "#model-rows td.name"), "the name as text in the list of models")
    wait_for(page, samples_shown, "samples of the HTML corpus", timeout=30)
    # The try-it box continues a prefix that is itself markup.
    prefix = page.find_element(By.ID, "try-prefix")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", prefix)
    prefix.send_keys("<script>")
    wait_for(page, lambda d: len(texts(d, "#try-probs li")) > 0, "next-character probabilities")
    click(page, "btn-continue")
    wait_for(page, lambda d: text(d, "try-prime") == "<script>", "the continuation of <script>")
    labels = texts(page, "#try-probs li .char")
    assert labels and all(label for label in labels)

    assert page.execute_script("return window.__xss") is None
    assert page.execute_script("return document.querySelectorAll('img').length") == 0
    assert page.execute_script("return document.querySelectorAll('script').length") == 1
    assert page.execute_script("return document.querySelectorAll('b').length") == 0
    for selector in ("#sample-list li", "#greedy", "#try-output", "#model-rows td.name", "#model-name"):
        tags = page.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0] + ' *'), e => e.tagName)", selector)
        assert set(tags) <= {"SPAN"}, f"{selector} holds elements made from data: {tags}"
    assert http_json(server, "GET", f"/api/models/{model_id}")["name"] == XSS_NAME
    shot(page, "07-html-as-text")
    click(page, "btn-pause")
    wait_for(page, lambda d: text(d, "model-status") == "paused", "the model to pause")


def test_api_errors_are_shown_in_plain_words(page, console):
    before = current_id(page)
    set_value(page, "opt-hidden", "0")
    console.expect(r"/api/models .*422")
    click(page, "btn-learn")
    wait_for(page, lambda d: d.find_element(By.ID, "error").is_displayed(), "the error message")
    message = text(page, "error-text")
    assert message.startswith("Learning failed: check “Hidden sizes”")
    assert "{" not in message and "invalid_value" not in message
    assert page.find_element(By.ID, "opt-hidden").get_attribute("aria-invalid") == "true"
    assert current_id(page) == before
    shot(page, "08-error")
    click(page, "error-close")
    assert not page.find_element(By.ID, "error").is_displayed()
    set_value(page, "opt-hidden", "8")


def test_api_token_is_sent_as_a_bearer_header(page):
    page.get_log("performance")  # drop what came before
    page.find_element(By.CSS_SELECTOR, "#connection summary").click()
    token = page.find_element(By.ID, "api-token")
    token.send_keys("secret-token")
    click(page, "btn-refresh")

    def sent(driver):
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                request = message["params"]["request"]
                if request["url"].endswith("/api/models?limit=50"):
                    return request["headers"].get("Authorization")
        return None
    assert wait_for(page, sent, "the request that lists the models") == "Bearer secret-token"
    set_value(page, "api-token", "")  # as deleting it would, so it is not remembered either
    assert page.execute_script("return sessionStorage.getItem('recurrent.apiToken')") == ""
    page.find_element(By.CSS_SELECTOR, "#connection summary").click()


def test_reattach_after_reload(page, server):
    model_id = learn(page, SMALL_CORPUS, "reload test")
    name = "reload test"
    wait_for(page, lambda d: int(text(d, "graph-count")) > 0, "the first point on the graph")
    page.refresh()
    wait_for(page, lambda d: d.execute_script("return document.body.dataset.ready") == "true", "the page to start")
    assert current_id(page) == model_id
    wait_for(page, lambda d: text(d, "model-name") == name, "the page to reattach to the model")
    wait_for(page, lambda d: int(text(d, "graph-count")) > 0, "the model's history on the graph")
    wait_for(page, lambda d: "server-sent events" in text(d, "live-mode"), "the event stream")
    ticks = number(page, "stat-ticks")
    wait_for(page, lambda d: number(d, "stat-ticks") > ticks, "live tick updates after the reload")
    assert len(texts(page, "#model-rows tr")) >= 4

    # Without the event stream the page polls, and still follows the training.
    page.get(server + "/?updates=poll")
    wait_for(page, lambda d: d.execute_script("return document.body.dataset.ready") == "true", "the page to start")
    wait_for(page, lambda d: text(d, "model-name") == name, "the page to reattach to the model")
    assert "polling" in text(page, "live-mode")
    ticks = number(page, "stat-ticks")
    points = int(text(page, "graph-count"))
    wait_for(page, lambda d: number(d, "stat-ticks") > ticks, "tick updates by polling")
    wait_for(page, lambda d: int(text(d, "graph-count")) > points, "new points by polling")
    wait_for(page, samples_shown, "samples by polling")
    click(page, "btn-pause")
    wait_for(page, lambda d: text(d, "model-status") == "paused", "the model to pause")


def test_phone_sized_screen(page):
    size = page.get_window_size()
    try:
        page.set_window_size(390, 844)
        wait_for(page, lambda d: d.execute_script("return window.innerWidth") <= 400, "the narrow window")
        overflow = page.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than a phone screen"
        width = page.execute_script("return document.getElementById('graph').getBoundingClientRect().width")
        assert 200 < width <= 390
        shot(page, "09-phone")
    finally:
        page.set_window_size(size["width"], size["height"])


def test_no_errors_in_the_console(page, console):
    page.execute_script("return 1")
    console.check()  # also checked after every test
    assert not [entry for entry in console.seen
                if entry["level"] == "SEVERE" and "422" not in entry["message"]]

"""The page against a service that has an API token (set through the
environment, as a container would): without the token the page says what is
missing and nothing is created; with it, learning and live updates work.

Runs its own server and browser; the helpers come from page_support.
"""

import pytest

pytest.importorskip("selenium", reason="selenium is not installed (python3 -m pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402

from page_support import (PUBLIC, SMALL_CORPUS, Console, click, current_id, http_json, running_server,  # noqa: E402
                       samples_shown, set_value, shot, text, wait_for)
from page_support import browser  # noqa: E402,F401 - the browser fixture, for this module's server

TOKEN = "page-token-123"


@pytest.fixture(scope="module")
def server():
    # Configured through the environment only, as a container would be.
    with running_server([], {
        "RECURRENT_HOST": "127.0.0.1", "RECURRENT_PORT": "{port}", "RECURRENT_DATABASE": "{folder}/db.sqlite",
        "RECURRENT_PUBLIC": str(PUBLIC), "RECURRENT_API_TOKEN": TOKEN, "RECURRENT_MAX_JOBS": "2",
    }) as base:
        yield base


@pytest.fixture(scope="module")
def page(browser, server):  # noqa: F811 - pytest injects the imported fixture
    browser.get(server + "/")
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "true", "the page to start")
    browser.execute_script("sessionStorage.clear(); localStorage.removeItem('recurrent.currentModel')")
    return browser


@pytest.fixture(scope="module")
def console(browser):  # noqa: F811
    return Console(browser)


@pytest.fixture(autouse=True)
def no_console_errors(console):
    yield
    console.check()


def models(server):
    return http_json(server, "GET", "/api/models")["models"]


def test_without_the_token_learning_is_refused_in_plain_words(page, server, console):
    console.expect(r"401")
    set_value(page, "corpus", SMALL_CORPUS)
    set_value(page, "opt-hidden", "8")
    set_value(page, "opt-letter", "3")
    click(page, "btn-learn")
    wait_for(page, lambda d: d.find_element(By.ID, "error").is_displayed(), "the error message")
    message = text(page, "error-text")
    assert "API token" in message, message
    assert "{" not in message
    assert models(server) == []
    shot(page, "token-01-refused")
    click(page, "error-close")


def test_with_the_token_the_page_learns_and_streams(page, server):
    page.find_element(By.CSS_SELECTOR, "#connection summary").click()
    set_value(page, "api-token", TOKEN)
    set_value(page, "corpus", SMALL_CORPUS)
    set_value(page, "opt-name", "with a token")
    click(page, "btn-learn")
    wait_for(page, lambda d: current_id(d) is not None, "the new model")
    wait_for(page, lambda d: text(d, "model-status") == "running", "the model to run")
    wait_for(page, samples_shown, "five samples and the greedy prediction", timeout=30)
    wait_for(page, lambda d: "server-sent events" in text(d, "live-mode"), "the event stream")
    click(page, "btn-pause")
    wait_for(page, lambda d: text(d, "model-status") == "paused", "the model to pause")
    assert [model["name"] for model in models(server)] == ["with a token"]
    shot(page, "token-02-learning")

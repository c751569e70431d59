"""The page's decoding parts (issue #15), in a real headless Chromium against a
real server: the "Advanced sampling" settings of the Samples card reach
`generate` and change the samples as they should, refusals are said in plain
words, and the try-it box's surprisal heat map colours each character by the
API's `per_character` surprisal, with a legend.

The module has its own server and browser (page_support's fixtures are per
module), loads the pretrained model once, and runs its tests in order.
"""

import json
import re

import pytest

pytest.importorskip("selenium", reason="selenium is not installed (python3 -m pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402

from page_support import browser, console, no_console_errors, page, server  # noqa: E402,F401 - fixtures
from page_support import (PRETRAINED, ROOT, click, current_id, http_json, samples_shown, set_value, shot,  # noqa: E402
                          text, texts, wait_for)

DEFAULTS = {"opt-top-p": "1", "opt-min-p": "0", "opt-penalty": "1", "opt-beam": "", "opt-stop": ""}
HEAT_TEXT = "The kettle clicked off just as the rain began to tap the glass."


def generate_bodies(driver):
    """The bodies of the `generate` requests the page sent since the last call."""
    bodies = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        request = message["params"]["request"]
        if request["url"].endswith("/generate") and request.get("postData"):
            bodies.append(json.loads(request["postData"]))
    return bodies


def sampled_bodies(driver):
    """The `generate` bodies other than the greedy line's."""
    return [body for body in generate_bodies(driver) if not body.get("greedy")]


def set_settings(driver, **values):
    """Sets the advanced inputs (the rest to their defaults), as typing would."""
    wanted = dict(DEFAULTS)
    wanted.update({f"opt-{key.replace('_', '-')}": value for key, value in values.items()})
    for element_id, value in wanted.items():
        set_value(driver, element_id, value)


def fresh_caption(driver, words):
    wait_for(driver, lambda d: words in text(d, "samples-info") and samples_ready(d), f"samples captioned “{words}”")
    return texts(driver, "#sample-list li")


def samples_ready(driver):
    return len(texts(driver, "#sample-list li")) > 0 and text(driver, "greedy") != ""


def luminance(css):
    """The relative luminance of a CSS rgb()/rgba() colour."""
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+(?:\.\d+)?", css)[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def pause(driver, seconds):
    driver.execute_async_script("setTimeout(arguments[arguments.length - 1], arguments[0])", seconds * 1000)


def model_id(driver):
    return current_id(driver)


def api_texts(server, driver, body):
    answer = http_json(server, "POST", f"/api/models/{model_id(driver)}/generate", body, timeout=60)
    return [sample["text"] for sample in answer["samples"]]


# ---------------------------------------------------------------------------


def test_pretrained_model_loads(page):
    if not PRETRAINED.exists():
        pytest.fail(f"{PRETRAINED.relative_to(ROOT)} is missing (scripts/train-pretrained makes it)")
    set_value(page, "corpus", (ROOT / "Corpus" / "default.txt").read_text())
    click(page, "btn-pretrained")
    wait_for(page, lambda d: current_id(d) is not None, "the pretrained model", timeout=60)
    wait_for(page, samples_shown, "samples from the pretrained model", timeout=60)


def test_defaults_ask_what_the_page_asked_before(page):
    details = page.find_element(By.ID, "advanced")
    assert details.get_attribute("open") is None, "the advanced settings start folded"
    page.find_element(By.CSS_SELECTOR, "#advanced summary").click()
    for element_id, value in DEFAULTS.items():
        assert page.find_element(By.ID, element_id).get_attribute("value") == value, element_id
    generate_bodies(page)  # drop what came before
    click(page, "btn-sample")
    bodies = wait_for(page, lambda d: sampled_bodies(d) or None, "a generate request")
    assert set(bodies[-1]) == {"count", "temperature", "max_length"}, bodies[-1]
    assert bodies[-1]["count"] == 5


def test_top_p_and_min_p_reach_the_api(page, server):
    generate_bodies(page)
    set_settings(page, top_p="0.01")
    samples = fresh_caption(page, "top-p 0.01")
    # Top-p 0.01 keeps only the most likely character: every sample is the greedy text.
    greedy = text(page, "greedy")
    assert samples == [greedy] * 5, samples
    assert any(body.get("top_p") == 0.01 for body in sampled_bodies(page))

    set_settings(page, min_p="1")
    samples = fresh_caption(page, "min-p 1")
    assert samples == [greedy] * 5, samples
    assert "top-p" not in text(page, "samples-info")


def test_repetition_penalty_changes_the_text(page, server):
    set_settings(page, min_p="1", penalty="1.5")
    samples = fresh_caption(page, "repetition penalty 1.5")
    expected = api_texts(server, page, {"count": 1, "max_length": 100, "min_p": 1, "repetition_penalty": 1.5})[0]
    assert samples == [expected] * 5
    assert expected != text(page, "greedy"), "the penalty should change this model's greedy text"


def test_beam_width_one_is_greedy_and_wider_beams_match_the_api(page, server):
    set_settings(page, beam="1")
    samples = fresh_caption(page, "Beam search of width 1")
    assert samples == [text(page, "greedy")]

    set_settings(page, beam="3")
    samples = fresh_caption(page, "Beam search of width 3")
    assert samples == api_texts(server, page, {"count": 3, "max_length": 100, "beam_width": 3})
    assert len(samples) == 3
    shot(page, "decoding-01-beam")


def test_stop_sequence_ends_every_sample_before_it(page):
    set_settings(page)
    click(page, "btn-sample")
    wait_for(page, lambda d: "Sampling with" not in text(d, "samples-info") and samples_ready(d), "plain samples")
    assert any("e" in sample for sample in texts(page, "#sample-list li")), "plain samples hold an “e”"
    generate_bodies(page)
    set_settings(page, stop="e")
    samples = fresh_caption(page, "stopping before “e”")
    assert samples and not any("e" in sample for sample in samples), samples
    assert any(body.get("stop") == ["e"] for body in sampled_bodies(page))


@pytest.mark.parametrize("element_id, value, words", [
    ("top_p", "0", "Top-p must be a number in (0, 1] (got 0)."),
    ("top_p", "1.5", "Top-p must be a number in (0, 1] (got 1.5)."),
    ("min_p", "-0.1", "Min-p must be a number in [0, 1] (got -0.1)."),
    ("penalty", "0", "Repetition penalty must be a number in 1e-30...1e30 (got 0)."),
    ("beam", "65", "Beam width must be a whole number in 1...64 (got 65)."),
    ("beam", "2.5", "Beam width must be a whole number in 1...64 (got 2.5)."),
])
def test_refused_settings_are_said_in_plain_words(page, element_id, value, words):
    set_settings(page)
    wait_for(page, lambda d: text(d, "advanced-info") == "", "no refusal")
    pause(page, 1.5)  # the samples the reset asks for arrive
    shown = texts(page, "#sample-list li")
    generate_bodies(page)
    set_settings(page, **{element_id: value})
    wait_for(page, lambda d: text(d, "advanced-info") == words, f"the refusal “{words}”")
    field = "opt-" + element_id.replace("_", "-")
    assert page.find_element(By.ID, field).get_attribute("aria-invalid") == "true"
    click(page, "btn-sample")
    pause(page, 1)
    assert sampled_bodies(page) == [], "a refused setting must not be sent"
    assert texts(page, "#sample-list li") == shown
    assert not page.find_element(By.ID, "error").is_displayed()
    set_settings(page)
    wait_for(page, lambda d: d.find_element(By.ID, field).get_attribute("aria-invalid") is None, "the mark to go")


def test_heat_map_colours_each_character_by_its_surprisal(page, server):
    set_settings(page)
    prefix = page.find_element(By.ID, "try-prefix")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", prefix)
    prefix.clear()
    prefix.send_keys(HEAT_TEXT)
    wait_for(page, lambda d: len(texts(d, "#try-heat span.heat")) == len(HEAT_TEXT), "the heat map")
    answer = http_json(server, "POST", f"/api/models/{model_id(page)}/evaluate",
                       {"text": HEAT_TEXT, "per_character": True})
    expected = answer["characters"][0]["surprisal"][:len(HEAT_TEXT)]
    cells = page.execute_script(
        "return Array.from(document.querySelectorAll('#try-heat span.heat'), e => "
        "[e.textContent, Number(e.dataset.surprisal), getComputedStyle(e).backgroundColor])")
    assert "".join(cell[0] for cell in cells) == HEAT_TEXT
    assert [cell[1] for cell in cells] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    lights = [luminance(cell[2]) for cell in cells]
    assert len(set(cell[2] for cell in cells)) >= 4, "the map should use several colours"
    # The most surprising character has the hottest (darkest) colour, and a
    # more surprising character is never paler than a less surprising one.
    hottest = max(range(len(expected)), key=lambda i: expected[i])
    assert lights[hottest] == min(lights)
    for i in range(len(expected)):
        for j in range(len(expected)):
            if expected[i] < expected[j]:
                assert lights[i] >= lights[j] - 1e-9, (HEAT_TEXT[i], expected[i], HEAT_TEXT[j], expected[j])
    assert "most surprising" in text(page, "heat-info")
    tags = page.execute_script("return Array.from(document.querySelectorAll('#try-heat *'), e => e.tagName)")
    assert set(tags) == {"SPAN"}


def test_heat_legend_explains_the_colours(page):
    swatches = page.execute_script(
        "return Array.from(document.querySelectorAll('#heat-scale li'), e => "
        "[e.textContent, getComputedStyle(e).backgroundColor])")
    assert [swatch[0] for swatch in swatches] == ["0", "1", "2", "3", "4", "5+"]
    lights = [luminance(swatch[1]) for swatch in swatches]
    assert all(a > b for a, b in zip(lights, lights[1:])), "the legend runs from pale to dark"
    legend = page.find_element(By.ID, "heat-legend")
    assert legend.is_displayed()
    words = page.find_element(By.CSS_SELECTOR, ".try").text
    assert "−ln p" in words and "nats" in words and "expected" in words and "surprising" in words
    # A tapped character gives its figure (a phone has no pointer to hover).
    first = page.find_element(By.CSS_SELECTOR, "#try-heat span.heat")
    first.click()
    assert re.search(r"“T”: \d+\.\d\d nats, p = ", text(page, "heat-info"))


def test_heat_map_and_settings_fit_a_phone(page):
    size = page.get_window_size()
    try:
        page.set_window_size(390, 844)
        wait_for(page, lambda d: d.execute_script("return window.innerWidth") <= 400, "the narrow window")
        overflow = page.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than a phone screen"
        for element_id in ("try-heat", "heat-legend", "advanced"):
            box = page.execute_script(
                "const r = document.getElementById(arguments[0]).getBoundingClientRect(); return [r.left, r.right]",
                element_id)
            assert 0 <= box[0] and box[1] <= 390, f"#{element_id} spans {box}"
        page.execute_script("document.getElementById('try-heat').scrollIntoView({block: 'center'})")
        shot(page, "decoding-02-phone")
    finally:
        page.set_window_size(size["width"], size["height"])

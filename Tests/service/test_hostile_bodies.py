"""Hostile request bodies: each gets a clear 4xx in the error envelope or
works correctly, the server's memory stays bounded, nothing already stored is
lost, and the service keeps serving."""

import json
import sqlite3
import threading
import time

import pytest

import rawhttp
from harness import CORPUS, assert_error, rss_bytes, small_model

MB = 1_000_000
MiB = 1 << 20


def peak_rss(pid):
    """The process's peak resident memory so far (VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise ValueError("no VmHWM")


def model_count(server):
    return len(server.get("/api/models?limit=1000").json()["models"])


def still_serving(server, model_id=None):
    assert server.alive(), f"the server died:\n{server.log()[-3000:]}"
    assert server.get("/api/health").json()["status"] == "ok"
    if model_id is not None:
        reply = server.post(f"/api/models/{model_id}/generate", {"count": 1, "max_length": 20, "seed": 1})
        assert reply.status_code == 200, reply.text


@pytest.fixture
def stored(server):
    """A model stored before the hostile requests; it must survive them."""
    model_id = server.create(small_model(start=False))
    return model_id


def exported(server, model_id):
    reply = server.get(f"/api/models/{model_id}/export")
    assert reply.status_code == 200, reply.text
    return reply.json()


# Nesting

@pytest.mark.parametrize("path", ["/api/models", "/api/models/import", "/api/models/1/generate",
                                  "/api/models/1/predict", "/api/models/1/evaluate"])
@pytest.mark.parametrize("shape", ["arrays", "objects"])
def test_deeply_nested_json_is_refused(server, stored, path, shape):
    depth = 100_000
    nested = "[" * depth + "]" * depth if shape == "arrays" else '{"a":' * depth + "1" + "}" * depth
    body = ('{"text":' + nested + "}").encode()
    reply = rawhttp.request(server.port, "POST", path, body)
    assert 400 <= reply.status < 500, f"{depth} levels of {shape} at {path}: {reply}"
    error = json.loads(reply.body)["error"]
    assert error["code"] in ("malformed_json", "invalid_type", "too_many_containers"), error
    assert model_count(server) == 1
    still_serving(server, stored)


# Size

@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path", ["/api/models", "/api/models/import", "/api/models/1/evaluate"])
def test_hundred_megabyte_body_is_refused_with_bounded_memory(server, stored, figures, path, chunked):
    baseline = rss_bytes(server.pid)
    response, sent, seconds = rawhttp.send_huge_body(server.port, path, 100 * MiB, chunked=chunked)
    assert response.status == 413, f"100 MiB to {path}: {response}"
    error = json.loads(response.body)["error"]
    assert error["code"] == "body_too_large", error
    assert "16777216" in error["message"], error["message"]
    # The server stops reading at the limit (16 MiB), so it never holds the
    # 100 MiB: its peak memory grows by far less than the body.
    growth = peak_rss(server.pid) - baseline
    assert growth < 80 * MiB, f"peak memory grew by {growth / MiB:.0f} MiB for a refused body"
    assert sent < 100 * MiB, "the server read the whole body before refusing it"
    figures.record("largest rejected body (bytes)", 100 * MiB)
    figures.record(f"100 MiB body to {path} ({'chunked' if chunked else 'content-length'})",
                   {"status": 413, "sent_before_answer_MiB": round(sent / MiB, 1), "seconds": round(seconds, 2),
                    "peak_rss_growth_MiB": round(growth / MiB, 1)})
    assert model_count(server) == 1
    still_serving(server, stored)


def test_bodies_of_many_small_values_neither_stall_the_service_nor_pile_up_memory(server, stored, figures):
    """8 MiB of `{},` is nearly 3 million objects for JSON parsing: about 500 MB
    and seconds of CPU each. Such a body is refused by a scan before it is
    parsed (more than 100 000 objects and arrays), so three at once neither
    stall other requests nor take much memory."""
    body = b'{"x":[' + b"{}," * (8 * MiB // 3) + b"{}]}"
    baseline = peak_rss(server.pid)
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(
        rawhttp.request(server.port, "POST", "/api/models", body, timeout=120))) for _ in range(3)]
    for thread in threads:
        thread.start()
    latencies = []
    while any(thread.is_alive() for thread in threads):
        started = time.monotonic()
        assert server.get("/api/health", timeout=10).status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert [reply.status for reply in replies] == [400] * 3, replies
    assert all(json.loads(reply.body)["error"]["code"] == "too_many_containers" for reply in replies), replies
    growth = peak_rss(server.pid) - baseline
    worst = max(latencies)
    figures.record("3 x 8 MiB of {} at once", {"worst_health_ms": round(worst * 1000), "peak_rss_growth_MiB": round(growth / MiB)})
    assert worst < 1.0, f"GET /api/health took {worst:.1f} s while large bodies were parsed"
    assert growth < 200 * MiB, f"peak memory grew by {growth / MiB:.0f} MiB"
    still_serving(server, stored)


def test_body_just_over_the_limit_is_refused_and_under_it_accepted(server, stored):
    limit = 16 * MiB
    over = b'{"text":"' + b"a" * (limit - 10) + b'"}'
    assert len(over) == limit + 1
    reply = rawhttp.request(server.port, "POST", "/api/models", over, timeout=60)
    assert reply.status == 413, reply
    # 10 MB of corpus plus the JSON around it fits the body limit but not
    # the corpus limit: the corpus check answers, naming the field.
    under = json.dumps({"text": "ab\n" * (3_400_000), "start": False}).encode()
    reply = rawhttp.request(server.port, "POST", "/api/models", under, timeout=60)
    assert reply.status == 422, reply
    assert json.loads(reply.body)["error"]["code"] == "corpus_too_large"
    assert json.loads(reply.body)["error"]["field"] == "text"
    still_serving(server, stored)


# Model files

def test_model_file_claiming_a_huge_matrix_is_refused_before_allocation(server, stored, figures):
    file = exported(server, stored)
    baseline = rss_bytes(server.pid)
    cases = []
    # A matrix claiming 100000 x 100000 in a small network.
    claim = json.loads(json.dumps(file))
    claim["model"]["Wil"] = {"n": 100_000, "d": 100_000, "w": []}
    cases.append(("matrix 100000x100000", claim))
    # A network of one 100000-unit layer: 40 billion parameters.
    huge = json.loads(json.dumps(file))
    huge["hidden_sizes"] = [100_000]
    cases.append(("hidden size 100000", huge))
    # 5000 units: under the engine's 200 million parameter guard, over the
    # service's limit of 1024; refused before the 800 MB of weights exist.
    large = json.loads(json.dumps(file))
    large["hidden_sizes"] = [5000]
    cases.append(("hidden size 5000", large))
    # A huge letter size and many layers.
    wide = json.loads(json.dumps(file))
    wide["letter_size"] = 100_000
    cases.append(("letter size 100000", wide))
    deep = json.loads(json.dumps(file))
    deep["hidden_sizes"] = [8] * 10_000
    cases.append(("10000 layers", deep))
    for name, body in cases:
        reply = server.post("/api/models/import", body)
        error = assert_error(reply, 422)
        assert error["code"] in ("invalid_model_file", "invalid_value"), (name, error)
        assert "field" in error, (name, error)
    growth = peak_rss(server.pid) - baseline
    assert growth < 100 * MiB, f"peak memory grew by {growth / MiB:.0f} MiB refusing oversized model files"
    figures.record("oversized model files refused (peak RSS growth MiB)", round(growth / MiB, 1))
    assert model_count(server) == 1
    still_serving(server, stored)


@pytest.mark.parametrize("literal", ["NaN", "-NaN", "Infinity", "-Infinity", "inf", "1e999", "-1e999", "1e39"])
@pytest.mark.parametrize("where", ["weights", "solver"])
def test_non_finite_weights_are_refused(server, stored, literal, where):
    text = json.dumps(exported(server, stored))
    # Replace the first value of one matrix, textually (JSON has no NaN).
    file = json.loads(text)
    matrix = file["model"]["Wil"] if where == "weights" else file["solver"]["step_cache"]["Wil"]
    matrix["w"][0] = "__HOLE__"
    body = json.dumps(file).replace('"__HOLE__"', literal)
    reply = server.post("/api/models/import", data=body.encode(), headers={"content-type": "application/json"})
    assert 400 <= reply.status_code < 500, f"{literal} in {where}: {reply.status_code} {reply.text[:300]}"
    error = assert_error(reply, reply.status_code)
    if reply.status_code == 422:
        assert error["code"] == "invalid_model_file", error
        prefix = "model.Wil" if where == "weights" else "solver.step_cache.Wil"
        assert error.get("field", "").startswith(prefix), error
    else:
        assert error["code"] == "malformed_json", error
    assert model_count(server) == 1
    still_serving(server, stored)


# Encodings

INVALID_UTF8 = {
    "lone continuation byte": b'{"text":"ab\x80cd"}',
    "truncated sequence": b'{"text":"ab\xc3"}',
    "overlong slash": b'{"text":"a\xc0\xafb"}',
    "byte ff": b'{"name":"\xff\xfe","text":"abc"}',
    "encoded surrogate": b'{"text":"a\xed\xa0\x80b"}',
    "escaped lone surrogate": b'{"text":"a\\ud800b"}',
    "latin-1 body": '{"text":"café au lait"}'.encode("latin-1"),
}


@pytest.mark.parametrize("name", list(INVALID_UTF8))
def test_invalid_utf8_is_refused(server, stored, name):
    reply = rawhttp.request(server.port, "POST", "/api/models", INVALID_UTF8[name])
    assert reply.status == 400, f"{name}: {reply}"
    assert json.loads(reply.body)["error"]["code"] == "malformed_json", reply
    assert model_count(server) == 1
    for path in ("/api/models/1/generate", "/api/models/1/predict", "/api/models/import"):
        reply = rawhttp.request(server.port, "POST", path, INVALID_UTF8[name])
        assert reply.status == 400, f"{name} to {path}: {reply}"
    still_serving(server, stored)


@pytest.mark.parametrize("target", ["/api/models/%ff", "/api/models?status=%ff%fe", "/api/models/1/metrics?format=%c3",
                                    "/api/models/1/samples?after=%ff", "/%ff%fe.html"])
def test_invalid_utf8_in_the_url_is_refused(server, stored, target):
    reply = rawhttp.request(server.port, "GET", target)
    assert 400 <= reply.status < 500, f"{target}: {reply}"
    assert "error" in json.loads(reply.body), reply
    still_serving(server, stored)


# Corpora

def test_ten_megabytes_of_one_character(server, stored, figures):
    """10 MB (the corpus limit) of one repeated character: as a continuous
    text it trains and generates; as one 10 MB sentence it is refused by
    the memory budget (unrolling it would need far more than 2 GiB)."""
    text = "a" * 10 * MB
    reply = server.post("/api/models", {"name": "aaaa", "text": text, "corpus": "text", "hidden_sizes": [8],
                                        "letter_size": 2, "batch_size": 4, "seq_length": 16, "max_ticks": 100,
                                        "seed": 3}, timeout=120)
    assert reply.status_code == 201, reply.text[:500]
    model = reply.json()
    assert model["vocabulary"] == ["a"], model["vocabulary"]
    server.wait_status(model["id"], "succeeded", timeout=120)
    sample = server.post(f"/api/models/{model['id']}/generate", {"max_length": 50, "seed": 1}).json()
    assert set(sample["samples"][0]["text"]) <= {"a"}, sample

    one_sentence = server.post("/api/models", {"text": text, "start": False}, timeout=120)
    error = assert_error(one_sentence, 422)
    assert error["code"] == "memory_budget", error

    lines = server.post("/api/models", {"text": "a\n" * (5 * MB), "hidden_sizes": [4], "letter_size": 2,
                                        "max_ticks": 50, "seed": 1}, timeout=120)
    assert lines.status_code == 201, lines.text[:300]
    assert lines.json()["sentence_count"] == 5 * MB
    server.wait_status(lines.json()["id"], "succeeded", timeout=120)
    over = server.post("/api/models", {"text": text + "a", "corpus": "text"}, timeout=120)
    assert assert_error(over, 422)["code"] == "corpus_too_large"
    figures.record("10 MB one-character corpus", "trains as a text corpus; 422 memory_budget as one sentence")
    still_serving(server, stored)


# A character is one Unicode scalar: combining marks, flags and ZWJ
# sequences are several characters; control characters are characters.
UNICODE_SENTENCES = [
    "tab\there, bell\x07 and escape\x1b done",
    "cats 🐈 and dogs 🐕 and 🇫🇷 flags",
    "cafe\u0301 and café, 👩\u200d💻 codes",
    "del\x7f and \x01\x02\x03 and \u00a0 no-break space",
    "right-to-left \u202eevil\u202c text",
]


def test_control_characters_and_emoji_round_trip_through_export_and_import(server, stored):
    corpus = "\n".join(UNICODE_SENTENCES)
    name = "emoji 🐈\u200d⬛ name\x07"
    model = server.post("/api/models", {"name": name, "text": corpus, "hidden_sizes": [8], "letter_size": 4,
                                        "seed": 11, "max_ticks": 300}).json()
    model_id = model["id"]
    expected = sorted({scalar for sentence in UNICODE_SENTENCES for scalar in sentence})
    assert sorted(model["vocabulary"]) == expected, "the vocabulary is the corpus's Unicode scalars"
    assert all(len(letter) == 1 for letter in model["vocabulary"]), model["vocabulary"]
    assert "\u0301" in model["vocabulary"] and "\U0001F1EB" in model["vocabulary"] and "\u200d" in model["vocabulary"]
    assert model["name"] == name
    server.wait_status(model_id, "succeeded", timeout=120)
    assert server.model(model_id)["name"] == name

    prime = "🐈\x07\u0301\t"
    generated = server.post(f"/api/models/{model_id}/generate", {"prime": prime, "max_length": 40, "seed": 5})
    assert generated.status_code == 200, generated.text
    assert generated.json()["samples"][0]["text"].startswith(prime)
    streamed = server.post(f"/api/models/{model_id}/generate", {"prime": prime, "max_length": 40, "seed": 5,
                                                                "stream": True})
    chunks = [json.loads(line) for line in streamed.text.splitlines()]
    assert "".join(chunk.get("text", "") for chunk in chunks) == generated.json()["samples"][0]["text"]
    predicted = server.post(f"/api/models/{model_id}/predict", {"context": "🇫🇷", "top_k": 5})
    assert predicted.status_code == 200, predicted.text
    assert assert_error(server.post(f"/api/models/{model_id}/generate", {"prime": "🦀"}), 422)["code"] == "unknown_character"

    # The samples recorded while training hold the same characters.
    for sample in server.get(f"/api/models/{model_id}/samples?limit=1000").json()["samples"]:
        assert set(sample["text"]) <= set(expected), sample

    file = server.get(f"/api/models/{model_id}/export")
    assert file.status_code == 200
    imported = server.request("POST", "/api/models/import", data=file.content,
                              headers={"content-type": "application/json"})
    assert imported.status_code == 201, imported.text[:500]
    copy = imported.json()
    assert copy["vocabulary"] == model["vocabulary"], "import keeps the vocabulary and its order"
    assert copy["name"] == name
    again = server.post(f"/api/models/{copy['id']}/generate", {"prime": prime, "max_length": 40, "seed": 5})
    assert again.json()["samples"][0]["text"] == generated.json()["samples"][0]["text"], \
        "the imported model generates exactly what the original does"
    # And the copy's own export is the same file.
    assert json.loads(server.get(f"/api/models/{copy['id']}/export").content)["model"] == file.json()["model"]
    still_serving(server, stored)


def test_a_text_corpus_keeps_every_scalar_including_line_separators(server, stored):
    """In a text corpus newlines of every kind are characters too."""
    text = "one\ntwo\r\nthree\u2028four\u0085five\x0bsix \u00a0 🇫🇷 e\u0301" * 3
    reply = server.post("/api/models", {"text": text, "corpus": "text", "batch_size": 2, "seq_length": 8,
                                        "hidden_sizes": [8], "letter_size": 3, "start": False})
    assert reply.status_code == 201, reply.text
    assert sorted(reply.json()["vocabulary"]) == sorted(set(text))
    file = server.get(f"/api/models/{reply.json()['id']}/export")
    copy = server.request("POST", "/api/models/import", data=file.content, headers={"content-type": "application/json"})
    assert copy.status_code == 201, copy.text[:300]
    assert copy.json()["vocabulary"] == reply.json()["vocabulary"]
    assert server.get(f"/api/models/{copy.json()['id']}/export").json()["text"] == text


@pytest.mark.parametrize("field", ["name", "text", "sentences"])
def test_nul_characters_are_refused_rather_than_truncated(server, stored, field):
    """SQLite text ends at U+0000 for the service's driver, so a NUL would
    silently cut names and samples: it is refused with a 422 instead."""
    body = small_model(start=False)
    if field == "name":
        body["name"] = "before\x00after"
    elif field == "text":
        body["text"] = CORPUS + "\nnul \x00 inside"
    else:
        del body["text"]
        body["sentences"] = ["a sentence", "nul \x00 inside"]
    error = assert_error(server.post("/api/models", body), 422)
    assert error["field"] == field, error
    patched = server.request("PATCH", f"/api/models/{stored}", json={"name": "x\x00y"})
    assert assert_error(patched, 422)["field"] == "name"
    assert server.model(stored)["name"] == "small"
    assert model_count(server) == 1


def test_nothing_stored_is_lost_after_the_hostile_requests(make_server):
    """The database is intact after a burst of hostile requests."""
    server = make_server().start()
    model_id = server.create(small_model(max_ticks=200))
    server.wait_status(model_id, "succeeded")
    before = server.get(f"/api/models/{model_id}/metrics").json()["metrics"]
    rawhttp.request(server.port, "POST", "/api/models", b"[" * 50_000)
    rawhttp.send_huge_body(server.port, "/api/models/import", 40 * MiB)
    rawhttp.request(server.port, "POST", f"/api/models/{model_id}/generate", b'{"prime":"\xff"}')
    server.request("PATCH", f"/api/models/{model_id}", data=b'{"name": "a\\ud800"}')
    assert server.get(f"/api/models/{model_id}/metrics").json()["metrics"] == before
    server.stop()
    with sqlite3.connect(server.database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM models").fetchone()[0] == 1

"""Fuzzing the API with schemathesis against the service's own OpenAPI document.

Every operation of public/openapi.json gets generated requests, valid
(positive) and invalid (negative), and each answer is checked by all of
schemathesis's checks (no 5xx, status code, content type and body conform
to the document, invalid data rejected) plus one of ours: every error is the
error envelope. Bounded by FUZZ_EXAMPLES per operation (environment,
default 120) so the file runs in a couple of minutes per store.

The suite runs twice, parameterised by the store: against a server on an
SQLite file, and against an API node (--role api) on PostgreSQL with one
worker on the same database, so jobs the fuzzer starts train elsewhere
(the same API and the same document for both stores).
"""

import json
import os
import threading

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (scripts/service-test installs it)")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance  # noqa: E402

from harness import PUBLIC, Server, small_model  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))
# The bounded run in the test suite generates the same cases every time, so a
# green run stays green; FUZZ_RANDOM=1 draws new cases (longer exploration).
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
# The server runs with an API token, so the document's security requirements
# are checked too: schemathesis also sends the state-changing operations
# without the header and expects 401.
TOKEN = "fuzz-token"
AUTHORIZATION = {"Authorization": f"Bearer {TOKEN}"}

schema = schemathesis.openapi.from_path(str(PUBLIC / "openapi.json"))
# The service ignores query parameters a route does not list (the document
# says so), so an unknown one is no invalid request.
schema.config.generation.update(allow_extra_parameters=False)


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.cases = 0
        self.statuses = {}

    def add(self, status):
        with self.lock:
            self.cases += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    # One slot and long checkpoints: the fuzzer creates many models, which
    # mostly wait in the queue.
    if request.param == "sqlite":
        server = Server(folder, max_jobs=1, checkpoint_seconds=5, extra_args=["--api-token", TOKEN])
        worker = None
    else:
        database = request.getfixturevalue("postgres").create_database()
        (folder / "api").mkdir()
        (folder / "worker").mkdir()
        server = Server(folder / "api", database=database, role="api", max_jobs=1, checkpoint_seconds=5,
                        extra_args=["--api-token", TOKEN])
        worker = Server(folder / "worker", database=database, role="worker", worker_id="fuzz-worker", max_jobs=1,
                        checkpoint_seconds=5, extra_args=["--api-token", TOKEN])
    server.store = request.param
    server.counter = Counter()
    server.start()
    if worker:
        worker.start()
    server.session.headers.update(AUTHORIZATION)
    try:
        # Models the fuzzer's ids can land on (1...3): one training, one
        # idle, one text corpus.
        server.create(small_model(name="fuzz training"))
        server.create(small_model(name="fuzz idle", start=False))
        server.create(small_model(name="fuzz text", corpus="text", batch_size=2, seq_length=8, start=False))
        # An uploaded corpus (id 1) the corpus routes' ids can land on.
        uploaded = server.session.post(server.base + "/api/corpora", data="the cat sat on the mat.\n".encode() * 50,
                                       headers={"content-type": "text/plain"}, timeout=30)
        assert uploaded.status_code == 201, uploaded.text
        yield server
    finally:
        for process in (server, worker):
            if process and process.alive():
                process.process.kill()
                process.process.wait(timeout=10)


def error_envelope(ctx, response, case):
    """Every 4xx/5xx answer is {"error":{"code","message","field"?}} as JSON."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/json"), \
        f"{response.status_code} answered with content type {content_type!r}"
    body = json.loads(response.content)
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{response.status_code} without the error envelope: {response.text[:300]}"
    assert isinstance(error.get("code"), str) and error["code"], f"no error code: {response.text[:300]}"
    assert isinstance(error.get("message"), str) and error["message"], f"no error message: {response.text[:300]}"
    assert "field" not in error or isinstance(error["field"], str), f"field is not a string: {response.text[:300]}"
    return None


def shrink(case):
    """Keeps generated models small: the fuzzer checks the API's answers,
    not how long a 1024-unit network takes to initialise. Only values that
    are already valid are made smaller, so invalid ones still reach the
    server."""
    body = case.body
    if not isinstance(body, dict):
        return
    caps = {"letter_size": (512, 4), "batch_size": (1024, 4), "seq_length": (4096, 16)}
    for key, (upper, cap) in caps.items():
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= upper:
            body[key] = min(value, cap)
    sizes = body.get("hidden_sizes")
    if isinstance(sizes, list):
        body["hidden_sizes"] = [min(size, 8) if isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= 1024
                                else size for size in sizes]


# Operations whose validity the document cannot state in JSON Schema: a
# corpus (of a create or an estimate) must keep a sentence after trimming, an
# uploaded one must be UTF-8 text that is not empty, `text` and `sentences` exclude
# each other, a model must fit the memory budget, and a model file's
# matrices must match its shapes and vocabulary. For these, a schema-valid
# request may be refused with 422, so schemathesis's "positive data is
# accepted" check does not apply; every other check does.
# Likewise `prime` and `context` may only hold characters of the model's
# vocabulary.
SEMANTIC_OPERATIONS = {("POST", "/api/models"), ("POST", "/api/models/estimate"), ("POST", "/api/models/import"),
                       ("POST", "/api/corpora"),
                       ("POST", "/api/models/{id}/generate"), ("POST", "/api/models/{id}/predict")}


# Operations whose body is raw text: every byte sequence is a `string` to
# the document, so what schemathesis generates as "negative" data (a JSON
# object where a string is expected, serialised as text) is a valid body
# here, and the check that it is rejected does not apply.
RAW_BODY_OPERATIONS = {("POST", "/api/corpora")}


def aim_at_real_models(case):
    """Three in four integer ids become one of the models made for the run
    (1...3; corpus 1 on the corpus routes), so the fuzzer reaches past 404; DELETE keeps its random ids so
    the models stay."""
    ids = case.path_parameters or {}
    value = ids.get("id")
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return  # an invalid request stays invalid
    if case.method == "DELETE" or not isinstance(value, int) or isinstance(value, bool):
        return
    if value % 4 != 3:
        case.path_parameters = {**ids, "id": 1 + value % 3}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, fuzz_server, figures):
    shrink(case)
    if case.operation.path == "/api/models/{id}/events":
        # A stream ends after max_events events; without it, it stays open.
        value = case.query.get("max_events") if case.query else None
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            case.query = {**(case.query or {}), "max_events": 1}
    aim_at_real_models(case)
    excluded = [positive_data_acceptance] if (case.method, case.operation.path) in SEMANTIC_OPERATIONS else []
    if (case.method, case.operation.path) in RAW_BODY_OPERATIONS:
        excluded.append(negative_data_rejection)
    response = case.call_and_validate(base_url=fuzz_server.base, timeout=60, headers=AUTHORIZATION,
                                      additional_checks=[error_envelope], excluded_checks=excluded)
    counter = fuzz_server.counter
    counter.add(response.status_code)
    suffix = "" if fuzz_server.store == "sqlite" else f" ({fuzz_server.store})"
    figures.record("fuzz cases run" + suffix, counter.cases)
    figures.record("fuzz answers by status" + suffix, dict(sorted(counter.statuses.items())))
    assert fuzz_server.alive(), "the server died"

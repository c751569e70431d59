"""public/js/corpus-upload.js in headless Chromium against the real service:
a 3 MB file is uploaded to POST /api/corpora with upload progress events
(increasing, ending at the whole size), the answer is the stored corpus, and
a file that is not UTF-8 is refused with the API's error (422 invalid_text).

The module is not wired into the page yet (the text mode will use it): the
test imports it into the page's window, as the page would.
"""

import pytest

pytest.importorskip("selenium", reason="selenium is not installed (python3 -m pip install selenium)")

from page_support import http_json  # noqa: E402
from page_support import browser, console, no_console_errors, page, server  # noqa: E402,F401 - fixtures

UPLOAD = """
const [bytes, done] = [arguments[0], arguments[arguments.length - 1]];
const line = 'the quick brown fox jumps over the lazy dog, é 🦊\\n';
const text = bytes ? null : line.repeat(Math.ceil(3e6 / line.length));
const file = bytes ? new File([new Uint8Array(bytes)], 'bad.txt') : new File([text], 'big.txt', { type: 'text/plain' });
const progress = [];
import('/js/corpus-upload.js')
  .then(({ uploadCorpus }) => uploadCorpus(file, { onProgress: (event) => progress.push(event) }))
  .then((corpus) => done({ corpus, progress, size: file.size }),
        (error) => done({ error: { status: error.status, code: error.code, message: error.message, field: error.field },
                          progress, size: file.size }));
"""


def test_a_large_file_uploads_with_progress(page, server):  # noqa: F811
    page.set_script_timeout(60)
    result = page.execute_async_script(UPLOAD, None)
    assert "error" not in result, result.get("error")
    corpus, progress, size = result["corpus"], result["progress"], result["size"]
    assert corpus["bytes"] == size and corpus["characters"] > 0 and "🦊" in corpus["vocabulary"]
    assert http_json(server, "GET", f"/api/corpora/{corpus['id']}")["sha256"] == corpus["sha256"]
    loaded = [event["loaded"] for event in progress]
    assert len(loaded) >= 2, progress
    assert loaded == sorted(loaded), "progress only grows"
    assert progress[-1]["fraction"] == 1 and progress[-1]["loaded"] == size


def test_a_file_that_is_not_text_is_refused_in_the_apis_words(page, server, console):  # noqa: F811
    console.expect(r"/api/corpora .*422")  # the browser logs the refused request
    page.set_script_timeout(30)
    result = page.execute_async_script(UPLOAD, [0x61, 0x62, 0xFF, 0x63])
    error = result.get("error")
    assert error and error["status"] == 422 and error["code"] == "invalid_text" and error["field"] == "body", result
    assert "byte offset 2" in error["message"]

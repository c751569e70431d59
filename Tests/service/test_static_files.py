"""Static files never leave the public folder: `..` in any spelling,
encoded or absolute paths get a 4xx (in the error envelope) or a file from
inside public/, never a file beside or above it."""

import json
import shutil

import pytest

import rawhttp
from harness import PUBLIC

CANARY = "canary-7f3a-outside-public"

TARGETS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%2E%2E/%2E%2E/etc/passwd",
    "/.%2e/secret.txt",
    "/%252e%252e/secret.txt",
    "/pretrained/../../secret.txt",
    "/pretrained/%2e%2e/%2e%2e/secret.txt",
    "/pretrained/..%5c..%5csecret.txt",
    "/..\\secret.txt",
    "/....//secret.txt",
    "/..;/secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/%00/../secret.txt",
    "/index.html%00/../../secret.txt",
    "//etc/passwd",
    "/etc/passwd",
    "/%2fetc%2fpasswd",
    "/%2f%2fetc%2fpasswd",
    "///../secret.txt",
    "/./../secret.txt",
    "/secret.txt",
    "../secret.txt",
    "http://127.0.0.1/../secret.txt",
    "/pretrained/../index.html/../../secret.txt",
]


@pytest.fixture
def site(make_server, workdir):
    """A copy of public/ with a secret file next to it."""
    public = workdir / "site" / "public"
    shutil.copytree(PUBLIC, public)
    (workdir / "site" / "secret.txt").write_text(CANARY)
    (workdir / "secret.txt").write_text(CANARY)
    return make_server(public=public).start()


@pytest.mark.parametrize("target", TARGETS)
def test_path_traversal_never_leaves_public(site, target):
    for method in ("GET", "HEAD"):
        try:
            reply = rawhttp.request(site.port, method, target, timeout=10)
        except ConnectionError:
            # A request line the HTTP parser refuses outright is fine too.
            continue
        assert CANARY not in reply.text, f"{method} {target} served the file outside public/"
        assert "root:x:0:0" not in reply.text, f"{method} {target} served /etc/passwd"
        if reply.status == 200:
            # Only a file from inside public/ may come back (the page).
            assert method == "HEAD" or "<html" in reply.text.lower() or reply.text.startswith("{"), \
                f"{method} {target}: 200 with {reply.text[:200]!r}"
        elif reply.status in (301, 302, 307, 308):
            location = reply.headers.get("location", "")
            assert not location.startswith("//") and "://" not in location, \
                f"{target} redirects off the site to {location!r}"
        else:
            assert 400 <= reply.status < 500, f"{method} {target}: {reply}"
            if not target.startswith("/") and reply.status == 400 and not reply.body:
                continue  # not origin-form: the HTTP parser refuses it before any route
            if method == "GET":
                assert "error" in json.loads(reply.body), f"{target}: no error envelope: {reply}"
    assert site.alive()


def test_files_inside_public_are_served(site):
    for target, marker in [("/", "<html"), ("/index.html", "<html"), ("/openapi.json", '"openapi"'),
                           ("/pretrained/lstm-100.json", '"generator"')]:
        reply = rawhttp.request(site.port, "GET", target)
        assert reply.status == 200 and marker in reply.text, f"{target}: {reply}"
    # A folder without its slash is redirected within the site.
    reply = rawhttp.request(site.port, "GET", "/pretrained")
    assert reply.status == 301 and reply.headers["location"] == "/pretrained/", reply
    # The API's paths never fall back to files.
    reply = rawhttp.request(site.port, "GET", "/api/models/%2e%2e")
    assert reply.status == 404 and json.loads(reply.body)["error"]["code"] == "model_not_found", reply


def test_double_slash_folder_is_no_open_redirect(site):
    """`//pretrained` must not answer `Location: //pretrained/`, which a
    browser reads as the host `pretrained`."""
    for target in ("//pretrained", "/%2fpretrained", "///pretrained", "/\\pretrained"):
        reply = rawhttp.request(site.port, "GET", target)
        location = reply.headers.get("location", "")
        assert not location.startswith("//") and not location.startswith("/\\"), \
            f"{target} redirects to {location!r}, another host for a browser"

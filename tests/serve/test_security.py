"""Files come only from under runs= and data=; off loopback, every request needs the token."""

from __future__ import annotations

import os
import warnings

import pytest

from argonet.conf.serve import ServeConfig
from argonet.errors import ConfigError
from argonet.serve.app import create_app
from argonet.serve.safety import PathRefused, resolve_under

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(world):
    return TestClient(create_app(ServeConfig(runs=str(world["runs"]), data=str(world["data"]))))


@pytest.mark.parametrize("bad", ["../secret.txt", "good/../../secret.txt", "/etc/passwd", "~/x", "a\\..\\b",
                                 "good/./../../secret.txt", ""])
def test_resolve_under_refuses_escapes(world, bad):
    with pytest.raises(PathRefused):
        resolve_under(world["runs"], bad)


def test_symlink_out_of_the_root_is_refused(world):
    link = world["runs"] / "good" / "escape.txt"
    os.symlink(world["root"] / "secret.txt", link)
    try:
        with pytest.raises(PathRefused, match="leads out"):
            resolve_under(world["runs"], "good/escape.txt")
    finally:
        link.unlink()


@pytest.mark.parametrize("url", ["/download/..%2Fsecret.txt", "/download/%2Fetc%2Fpasswd",
                                 "/download/good/..%2F..%2Fsecret.txt", "/data/..%2Fsecret.txt",
                                 "/event?file=../secret.txt&entry=0", "/event?file=/etc/passwd&entry=0",
                                 "/select?eval=../secret.txt", "/api/runs/..%2F..", "/static/..%2Fapp.py"])
def test_http_paths_outside_the_roots_are_404(client, url):
    response = client.get(url)
    assert response.status_code == 404 and "outside the served folders" not in response.text


def test_symlinked_download_is_404(client, world):
    link = world["runs"] / "good" / "leak.pt"
    os.symlink(world["root"] / "secret.txt", link)
    try:
        assert client.get("/download/good/leak.pt").status_code == 404
    finally:
        link.unlink()


def test_other_host_needs_a_token():
    with pytest.raises(ConfigError, match="token: host 0.0.0.0 is reachable"):
        ServeConfig(host="0.0.0.0")


def test_every_request_without_the_token_is_401(world):
    app = create_app(ServeConfig(runs=str(world["runs"]), data=str(world["data"]), host="0.0.0.0",
                                 token="correct-horse"))
    client = TestClient(app)
    for url in ("/", "/runs", "/api/runs", "/api/runs/good", "/download/good/best.pt", "/static/app.css",
                "/event?file=fake.h5&entry=0", "/nonexistent"):
        assert client.get(url).status_code == 401, url
    assert client.post("/jobs", data={"name": "x"}).status_code == 401
    assert client.get("/api/runs?token=wrong-horse").status_code == 401
    assert client.get("/api/runs", headers={"Authorization": "Bearer correct-horse"}).status_code == 200
    assert client.get("/runs?token=correct-horse").status_code == 200
    assert client.get("/api/runs").status_code == 200          # the cookie set by the first visit


def test_forms_posted_from_another_site_are_refused(client):
    form = {"name": "x", "data": "fake.h5"}
    assert client.post("/jobs", data=form, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/jobs/1/stop", headers={"Origin": "http://127.0.0.1:9"}).status_code == 403
    own = client.post("/jobs", data={**form, "name": "../x"}, headers={"Origin": "http://testserver"})
    assert own.status_code == 422 and "name: use letters" in own.text

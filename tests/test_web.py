"""The memory viewer (`mcp-memory ui`): its security rules one by one (no token, a foreign Host, a
cross-origin request, a read-only method, no CORS), its endpoints over the services (pages, edit,
delete and undo, pin, retire, forget with confirmation, and refusals that change nothing), and that
it listens on 127.0.0.1 alone. The page in a real browser is in `test_web_browser.py`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.testclient import TestClient

from mcp_memory.config import Settings
from mcp_memory.services.app import open_app
from mcp_memory.services.graph.entities import link_memory, upsert_graph
from mcp_memory.services.memories.pins import set_pinned
from mcp_memory.services.memories.store import store_memory
from mcp_memory.web.guard import TOKEN_HEADER
from mcp_memory.web.serve import build_viewer
from tests.conftest import FAKE_DIM, fake_loader, make_settings
from tests.postgres import team_database

PORT = 8791
TOKEN = "t0ken-for-tests-only"  # noqa: S105 - a test token
ORIGIN = f"http://127.0.0.1:{PORT}"


_SERVICES = ("billing-worker", "auth-service", "search-indexer", "mobile-api", "notifier", "report-builder")
_FACTS = (
    "The {s} is deployed with `make deploy-{s}` from the release branch",
    "Logs of the {s} go to the {s} channel in Grafana Loki",
    "The {s} owners review its pull requests within a day",
    "Integration tests of the {s} need `docker compose up {s}-db` first",
    "Feature flags of the {s} live in config/{s}/flags.yaml",
)
_FILLER = tuple(f.replace("{s}", svc) for svc in _SERVICES for f in _FACTS)
_KINDS = ("fact", "convention", "preference", "decision", "note")


def seed(settings: Settings, count: int = 0) -> dict[str, str]:
    """A few memories (one pinned, one linked to the graph) and `count` more; their ids by name."""

    async def work() -> dict[str, str]:
        async with open_app(settings, loader=fake_loader()) as app:
            await app.load_model()
            ids = {
                "port": (await store_memory(app, "The API gateway listens on port 8443 in staging", kind="fact", tags=["infra"])).id,
                "pnpm": (await store_memory(app, "Use pnpm, not npm, in the web workspace", kind="decision")).id,
                "rule": (await store_memory(app, "Never push to main directly", kind="convention")).id,
            }  # fmt: skip
            await set_pinned(app, ids["rule"], True, note="team rule")
            await upsert_graph(
                app,
                [{"name": "api-gateway", "type": "service", "observations": ["listens on 8443"]}],
                [
                    {"from": "api-gateway", "to": "staging", "type": "runs_in"},
                    {"from": "api-gateway", "to": "auth-service", "type": "calls"},
                    {"from": "auth-service", "to": "postgres", "type": "uses"},
                    {"from": "billing-worker", "to": "postgres", "type": "uses"},
                    {"from": "billing-worker", "to": "stripe", "type": "calls"},
                ],
            )
            await link_memory(app, ids["port"], ["api-gateway"])
            for n in range(count):
                text = _FILLER[n % len(_FILLER)] + ("" if n < len(_FILLER) else f" (note {n})")
                await store_memory(app, text, kind=_KINDS[n % len(_KINDS)])
            return ids

    return anyio.run(work)


@pytest.fixture(params=["sqlite", "postgres"])
def viewer(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, str], Settings]]:
    """The viewer's app in a test client that speaks as 127.0.0.1 on its port, over a seeded store;
    on each engine (on Postgres, a team database the viewer reaches as the member alice)."""
    settings = make_settings(tmp_path)
    if request.param == "postgres":
        urls = team_database(request.getfixturevalue("postgres"), FAKE_DIM, ("alice", "bob"))
        settings = settings.replace(database_url=urls["alice"])
        request.node.team_urls = urls
    ids = seed(settings, count=60)
    app = build_viewer(settings, token=TOKEN, port=PORT, loader=fake_loader())
    with TestClient(app, base_url=ORIGIN) as client:  # type: ignore[arg-type]
        yield client, ids, settings


def _api(client: TestClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {TOKEN_HEADER: TOKEN, **kwargs.pop("headers", {})}
    return client.request(method, path, headers=headers, **kwargs)


def _content(client: TestClient, ident: str) -> str | None:
    found = _api(client, "GET", f"/api/memories/{ident}")
    return str(found.json()["memory"]["content"]) if found.status_code == 200 else None


def test_nothing_is_served_without_the_token(viewer: tuple[TestClient, dict[str, str], Settings]) -> None:
    """The page needs ?token=, each API call the header (a wrong one, or the token in the query of an
    API call, is refused); other paths are not found."""
    client, ids, _ = viewer
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200
    assert "<title>mcp-memory</title>" in page.text
    for path in ("/api/memories", f"/api/memories/{ids['port']}", "/api/stamp", "/api/preview/session"):
        assert client.get(path).status_code == 403
        assert client.get(path, headers={TOKEN_HEADER: "wrong"}).status_code == 403
        assert client.get(f"{path}?token={TOKEN}").status_code == 403
        assert _api(client, "GET", path).status_code == 200
    assert "8443" not in client.get(f"/api/memories/{ids['port']}").text
    assert client.get(f"/static/x.js?token={TOKEN}").status_code == 404


def test_a_foreign_host_header_is_refused(viewer: tuple[TestClient, dict[str, str], Settings]) -> None:
    """DNS rebinding: a page of another name pointed at 127.0.0.1, or another port, gets nothing,
    even with the token."""
    client, _, _ = viewer
    for host in (
        "evil.example",
        f"evil.example:{PORT}",
        "127.0.0.1:1",
        f"0.0.0.0:{PORT}",
        f"127.0.0.1.nip.io:{PORT}",
    ):
        assert _api(client, "GET", "/api/memories", headers={"host": host}).status_code == 421
        assert client.get(f"/?token={TOKEN}", headers={"host": host}).status_code == 421
    assert _api(client, "GET", "/api/memories", headers={"host": f"localhost:{PORT}"}).status_code == 200


def test_a_cross_origin_write_is_refused_and_changes_nothing(
    viewer: tuple[TestClient, dict[str, str], Settings],
) -> None:
    """Another site's page posting to the viewer, as a form (no header) or as a fetch with an Origin of
    its own (even holding the token): refused; the memory is as it was. No CORS header is ever sent."""
    client, ids, _ = viewer
    before = _content(client, ids["port"])
    form = client.post(
        f"/api/memories/{ids['port']}",
        content="content=pwned",
        headers={"origin": "http://evil.example", "content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 403
    fetch = _api(
        client,
        "POST",
        f"/api/memories/{ids['port']}",
        json={"content": "pwned"},
        headers={"origin": "http://evil.example"},
    )
    assert fetch.status_code == 403
    gone = _api(client, "DELETE", f"/api/memories/{ids['port']}", headers={"origin": "null"})
    assert gone.status_code == 403
    preflight = client.options(
        f"/api/memories/{ids['port']}",
        headers={"origin": "http://evil.example", "access-control-request-method": "POST",
                 "access-control-request-headers": TOKEN_HEADER},
    )  # fmt: skip
    assert "access-control-allow-origin" not in preflight.headers
    assert _content(client, ids["port"]) == before
    same = _api(
        client,
        "POST",
        f"/api/memories/{ids['port']}",
        json={"content": "The API gateway listens on port 9443 in staging"},
        headers={"origin": ORIGIN},
    )
    assert same.status_code == 200
    for answer in (client.get("/"), _api(client, "GET", "/api/stamp")):
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert "access-control-allow-origin" not in answer.headers
        assert "set-cookie" not in answer.headers


def test_the_page_runs_only_its_own_script(viewer: tuple[TestClient, dict[str, str], Settings]) -> None:
    """The content security policy allows the page's nonce alone, no framing, no other origin."""
    client, _, _ = viewer
    page = client.get(f"/?token={TOKEN}")
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert f'<script nonce="{nonce.group(1)}">' in page.text
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "http" not in policy
    assert "src=" not in page.text  # nothing loaded from anywhere: every asset is inline
    assert client.get(f"/?token={TOKEN}").headers["content-security-policy"] != policy  # a nonce per page


def test_reads_never_change_anything_and_changes_need_post_or_delete(
    viewer: tuple[TestClient, dict[str, str], Settings],
) -> None:
    """A GET on a change's address is not allowed; a POST on a read is not either."""
    client, ids, _ = viewer
    for path in (
        f"/api/memories/{ids['port']}/pin",
        f"/api/memories/{ids['port']}/forget",
        f"/api/memories/{ids['port']}/retire",
    ):
        assert _api(client, "GET", path).status_code == 405
    assert _api(client, "POST", "/api/stamp").status_code == 405
    assert _api(client, "DELETE", "/api/memories").status_code == 405
    assert _content(client, ids["port"]) is not None


def test_pages_pinned_first_then_newest(viewer: tuple[TestClient, dict[str, str], Settings]) -> None:
    """Pages of the listing hold every memory once, the pinned one first; filters narrow it."""
    client, ids, _ = viewer
    first = _api(client, "GET", "/api/memories?limit=25").json()
    assert first["total"] == 63
    assert first["memories"][0]["id"] == ids["rule"]
    assert first["memories"][0]["pinned"] is True
    seen = [m["id"] for m in first["memories"]]
    for offset in (25, 50):
        seen += [
            m["id"] for m in _api(client, "GET", f"/api/memories?limit=25&offset={offset}").json()["memories"]
        ]
    assert len(seen) == len(set(seen)) == 63
    facts = _api(client, "GET", "/api/memories?kind=fact&limit=100").json()["memories"]
    assert ids["port"] in [m["id"] for m in facts]
    assert {m["kind"] for m in facts} == {"fact"}
    assert [m["id"] for m in _api(client, "GET", "/api/memories?tag=infra").json()["memories"]] == [
        ids["port"]
    ]
    for bad in ("limit=0", "limit=1000", "offset=-1", "limit=ten", "kind=%20%21", "since=tomorrowish"):
        answer = _api(client, "GET", f"/api/memories?{bad}")
        assert answer.status_code == 400, bad
        assert answer.json()["error"]


def test_edit_delete_undo_pin_retire_and_forget_go_through_the_services(
    viewer: tuple[TestClient, dict[str, str], Settings],
) -> None:
    """Each change is the service's: an edit keeps the old version (and redacts a secret), a delete is
    undone by reverting to the version it returned, a pin and a retirement show, forgetting needs the
    id repeated."""
    client, ids, _ = viewer
    port, pnpm = ids["port"], ids["pnpm"]
    edited = _api(
        client,
        "POST",
        f"/api/memories/{port}",
        json={"content": "The API gateway listens on port 9443 in staging, key AKIAIOSFODNN7EXAMPLE"},
    )
    assert edited.status_code == 200
    shown = _api(client, "GET", f"/api/memories/{port}").json()
    assert "9443" in shown["memory"]["content"]
    assert "AKIAIOSFODNN7EXAMPLE" not in shown["memory"]["content"]
    assert any("8443" in v["content"] for v in shown["history"]["versions"])
    assert shown["graph"]["entities"][0]["name"] == "api-gateway"

    deleted = _api(client, "DELETE", f"/api/memories/{pnpm}").json()
    assert deleted["deleted"] == [pnpm]
    assert _api(client, "GET", f"/api/memories/{pnpm}").status_code == 404
    back = _api(client, "POST", f"/api/memories/{pnpm}/revert", json=deleted["undo"])
    assert back.status_code == 200
    assert _content(client, pnpm) == "Use pnpm, not npm, in the web workspace"

    assert _api(client, "POST", f"/api/memories/{pnpm}/pin", json={"pinned": True}).json()["pinned"] is True
    assert _api(client, "GET", "/api/memories?limit=2").json()["memories"][0]["id"] in (pnpm, ids["rule"])

    assert _api(client, "POST", f"/api/memories/{pnpm}/retire", json={"replaced_by": pnpm}).status_code == 400
    assert (
        _api(client, "POST", f"/api/memories/{pnpm}/retire", json={"replaced_by": "m_99999"}).status_code
        == 400
    )
    retired = _api(client, "POST", f"/api/memories/{pnpm}/retire", json={"replaced_by": ids["rule"]})
    assert retired.json()["retired"] == [pnpm]
    listed = [m["id"] for m in _api(client, "GET", "/api/memories?limit=100").json()["memories"]]
    assert pnpm not in listed
    with_retired = _api(client, "GET", "/api/memories?limit=100&retired=1").json()["memories"]
    assert any(m["id"] == pnpm and m["superseded_by"] == ids["rule"] for m in with_retired)

    refused = _api(client, "POST", f"/api/memories/{port}/forget", json={"confirm": "yes"})
    assert refused.status_code == 400
    assert port in refused.json()["error"]
    assert _content(client, port) is not None
    assert (
        _api(client, "POST", f"/api/memories/{port}/forget", json={"confirm": port}).json()["forgotten"] == 1
    )
    assert _api(client, "GET", f"/api/memories/{port}").status_code == 404


def test_bad_changes_get_a_clear_error_and_change_nothing(
    viewer: tuple[TestClient, dict[str, str], Settings],
) -> None:
    """Not JSON, wrong types, an unknown id, an empty content: 400 or 404 with a reason; no change."""
    client, ids, _ = viewer
    port = ids["port"]
    before = _api(client, "GET", f"/api/memories/{port}").json()["memory"]
    for method, path, body in (
        ("POST", f"/api/memories/{port}", b"not json"),
        ("POST", f"/api/memories/{port}", b"[1, 2]"),
        ("POST", f"/api/memories/{port}", b'{"content": 5}'),
        ("POST", f"/api/memories/{port}", b'{"tags": [1]}'),
        ("POST", f"/api/memories/{port}", b'{"content": "   "}'),
        ("POST", f"/api/memories/{port}", b'{"importance": 7}'),
        ("POST", f"/api/memories/{port}/pin", b'{"pinned": "yes"}'),
        ("POST", f"/api/memories/{port}/revert", b'{"version": 99}'),
        ("POST", f"/api/memories/{port}/retire", b"{}"),
    ):
        answer = _api(client, method, path, content=body, headers={"content-type": "application/json"})
        assert answer.status_code in (400, 404), (path, body)
        assert answer.json()["error"], (path, body)
    assert _api(client, "GET", "/api/memories/m_99999").status_code == 404
    assert _api(client, "DELETE", "/api/memories/m_99999").status_code == 404
    assert _api(client, "GET", "/api/search").status_code == 400
    after = _api(client, "GET", f"/api/memories/{port}").json()["memory"]
    assert (after["content"], after["version"], after["pinned"], after["tags"]) == (
        before["content"], before["version"], before["pinned"], before["tags"])  # fmt: skip


def test_the_pictures_previews_and_stamp_answer(viewer: tuple[TestClient, dict[str, str], Settings]) -> None:
    """Timeline, graph, episodes, stats and health, the session-start block as the hook builds it,
    the context for a task, and a write stamp that moves with a write."""
    client, ids, _ = viewer
    buckets = _api(client, "GET", "/api/timeline").json()["buckets"]
    assert sum(b["count"] for b in buckets) == 63
    graph = _api(client, "GET", "/api/graph?name=api-gateway").json()
    assert {e["name"] for e in graph["entities"]} == {"api-gateway", "staging", "auth-service"}
    assert graph["relations"][0]["from"] == "api-gateway"
    assert _api(client, "GET", "/api/episodes").json()["episodes"] == []
    stats = _api(client, "GET", "/api/stats").json()
    assert stats["stats"]["memories"] == 63
    assert stats["health"]["checks"]
    block = _api(client, "GET", "/api/preview/session").json()["text"]
    assert "Never push to main directly" in block
    context = _api(client, "GET", "/api/preview/context?task=gateway%20port%20staging").json()
    assert "8443" in context["text"]
    stamp = _api(client, "GET", "/api/stamp").json()["stamp"]
    assert _api(client, "GET", "/api/stamp").json()["stamp"] == stamp
    _api(client, "POST", f"/api/memories/{ids['pnpm']}/pin", json={"pinned": True})
    assert _api(client, "GET", "/api/stamp").json()["stamp"] != stamp


def test_the_command_listens_on_127_0_0_1_alone_and_prints_its_url(tmp_path: Path) -> None:
    """`mcp-memory ui --no-open`: the URL printed is 127.0.0.1 with a token; the page answers there;
    the port is not open on the machine's other addresses."""
    import socket

    settings = make_settings(tmp_path)
    seed(settings)
    env = {"MCP_MEMORY_DB": str(settings.database), "MCP_MEMORY_DATA_DIR": str(settings.data_dir),
           "MCP_MEMORY_EMBEDDING_MODEL": "fake-model", "PATH": "/usr/bin:/bin"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_memory", "ui", "--no-open"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", line)
        assert found is not None, line
        port, token = int(found.group(1)), found.group(2)
        assert len(token) >= 24
        assert httpx.get(found.group(0), timeout=30).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 403
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("10.255.255.255", 1))
            outward = probe.getsockname()[0]
        except OSError:
            outward = None
        finally:
            probe.close()
        if outward and not outward.startswith("127."):
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://{outward}:{port}/", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_on_a_team_database_the_viewer_is_its_member(
    viewer: tuple[TestClient, dict[str, str], Settings], request: pytest.FixtureRequest
) -> None:
    """On Postgres the viewer connects as its member: another member's private memory is neither
    listed, searched, counted nor opened; a team memory of theirs is."""
    client, _, settings = viewer
    if not settings.database_url:
        pytest.skip("a team database only")
    bob = settings.replace(database_url=request.node.team_urls["bob"])

    async def store() -> tuple[str, str]:
        async with open_app(bob, loader=fake_loader()) as app:
            await app.load_model()
            mine = await store_memory(
                app, "Bob's private note: the vault unseal key rotates on Fridays", visibility="private"
            )
            shared = await store_memory(app, "The team standup moved to 9:30", visibility="team")
            return mine.id, shared.id

    private, shared = anyio.run(store)
    listed = [m["id"] for m in _api(client, "GET", "/api/memories?limit=200&project=*").json()["memories"]]
    assert shared in listed
    assert private not in listed
    assert _api(client, "GET", f"/api/memories/{private}").status_code == 404
    found = _api(client, "GET", "/api/search?q=vault%20unseal%20key%20Fridays&project=*").json()["results"]
    assert private not in [h["id"] for h in found]
    assert _api(client, "POST", f"/api/memories/{private}", json={"content": "taken over"}).status_code == 404


def test_the_browser_is_sent_the_url_through_a_file_only_this_user_reads(tmp_path: Path) -> None:
    """The token stays off the browser's command line: the page opened is a 0600 file that forwards
    to the URL."""
    import stat

    from mcp_memory.web.serve import _redirect_file

    settings = make_settings(tmp_path)
    url = f"http://127.0.0.1:{PORT}/?token={TOKEN}"
    path = _redirect_file(settings, url)
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert f'content="0;url={url}"' in path.read_text()

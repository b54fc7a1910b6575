"""The test fixtures themselves, against a real Ralph LRS: statements go in and come back,
batch after batch, across a restart; each fault the proxy injects reaches a client; and
Ralph's strict model tells a good statement from a bad one."""

from __future__ import annotations

import uuid

import httpx
import pytest

HEADERS = {"X-Experience-API-Version": "1.0.3"}


def statement(n: int = 0) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://platform.medvr.example.org", "name": "u-1"},
        },
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/experienced",
            "display": {"en-US": "experienced"},
        },
        "object": {
            "objectType": "Activity",
            "id": f"https://medvr.example.org/xapi/activities/structure/heart/{n}",
        },
        "timestamp": "2026-01-02T03:04:05+00:00",
        "version": "1.0.3",
    }


def post(endpoint: str, lrs, statements, timeout: float = 10) -> httpx.Response:
    return httpx.post(
        f"{endpoint}/statements",
        json=statements,
        auth=(lrs.username, lrs.password),
        headers=HEADERS,
        timeout=timeout,
    )


def test_one_statement_posted_is_read_back(lrs):
    s = statement()
    resp = post(lrs.endpoint, lrs, s)
    assert resp.status_code == 200, resp.text
    assert resp.json() == [s["id"]]
    got = httpx.get(
        f"{lrs.endpoint}/statements",
        params={"statementId": s["id"]},
        auth=(lrs.username, lrs.password),
        headers=HEADERS,
    )
    assert got.status_code == 200
    # The spec answers a single statement; Ralph 5.1.0 answers a StatementResult.
    body = got.json()
    one = body["statements"][0] if "statements" in body else body
    assert one["id"] == s["id"]
    assert one["verb"]["id"] == s["verb"]["id"]
    assert [x["id"] for x in lrs.all_statements()] == [s["id"]]


def test_credentials_are_required(lrs):
    resp = httpx.post(
        f"{lrs.endpoint}/statements",
        json=statement(),
        auth=(lrs.username, "wrong"),
        headers=HEADERS,
    )
    assert resp.status_code == 401


def test_batches_in_a_row_are_all_stored_and_paged_back(lrs):
    # Without the APPEND fix every POST after the first answers 500.
    sent = []
    for _ in range(3):
        batch = [statement(i) for i in range(90)]
        resp = post(lrs.endpoint, lrs, batch)
        assert resp.status_code == 200, resp.text
        sent += [s["id"] for s in batch]
    got = lrs.all_statements(limit=50)  # six pages and more
    assert sorted(x["id"] for x in got) == sorted(sent)
    # An identical re-send is accepted without storing a duplicate.
    assert post(lrs.endpoint, lrs, [statement()]).status_code == 200
    assert len(lrs.all_statements()) == len(sent) + 1


def test_stop_and_start_keep_port_and_data(lrs):
    s = statement()
    assert post(lrs.endpoint, lrs, [s]).status_code == 200
    endpoint = lrs.endpoint
    lrs.stop()
    with pytest.raises(httpx.ConnectError):
        post(endpoint, lrs, [statement()])
    lrs.start()
    assert lrs.endpoint == endpoint
    assert [x["id"] for x in lrs.all_statements()] == [s["id"]]
    assert post(endpoint, lrs, [statement()]).status_code == 200
    assert len(lrs.all_statements()) == 2


def test_proxy_forwards_and_logs(lrs, lrs_proxy):
    batch = [statement(i) for i in range(3)]
    assert post(lrs_proxy.endpoint, lrs, batch).status_code == 200
    assert [x.statements for x in lrs_proxy.requests] == [3]
    entry = lrs_proxy.requests[0]
    assert (entry.method, entry.path, entry.status) == ("POST", "/xAPI/statements", 200)
    assert len(lrs.all_statements()) == 3


@pytest.mark.parametrize(("status", "retry_after"), [(503, None), (503, 7), (429, 2), (413, None)])
def test_proxy_injects_a_status_for_the_next_requests(lrs, lrs_proxy, status, retry_after):
    lrs_proxy.fail(status, count=2, retry_after=retry_after)
    for _ in range(2):
        resp = post(lrs_proxy.endpoint, lrs, [statement(), statement()])
        assert resp.status_code == status
        assert resp.headers.get("Retry-After") == (
            None if retry_after is None else str(retry_after)
        )
    assert lrs.all_statements() == []  # nothing reached the store
    assert post(lrs_proxy.endpoint, lrs, [statement()]).status_code == 200
    assert [(x.status, x.statements) for x in lrs_proxy.requests] == [
        (status, 2),
        (status, 2),
        (200, 1),
    ]


def test_proxy_fault_until_cleared_and_per_method(lrs, lrs_proxy):
    lrs_proxy.fail(503, method="POST")
    for _ in range(3):
        assert post(lrs_proxy.endpoint, lrs, [statement()]).status_code == 503
    got = httpx.get(
        f"{lrs_proxy.endpoint}/statements",
        auth=(lrs.username, lrs.password),
        headers=HEADERS,
    )
    assert got.status_code == 200  # GETs pass
    lrs_proxy.clear()
    assert post(lrs_proxy.endpoint, lrs, [statement()]).status_code == 200


def test_proxy_hang_times_the_client_out(lrs, lrs_proxy):
    lrs_proxy.hang()
    with pytest.raises(httpx.ReadTimeout):
        post(lrs_proxy.endpoint, lrs, [statement()], timeout=0.5)
    assert lrs_proxy.requests[-1].status is None
    lrs_proxy.clear()
    assert post(lrs_proxy.endpoint, lrs, [statement()]).status_code == 200
    assert len(lrs.all_statements()) == 1  # the hung request never reached the store


def test_proxy_refuses_connections_then_accepts(lrs, lrs_proxy):
    endpoint = lrs_proxy.endpoint
    lrs_proxy.refuse()
    with pytest.raises(httpx.ConnectError):
        post(endpoint, lrs, [statement()])
    lrs_proxy.accept()
    assert lrs_proxy.endpoint == endpoint
    assert post(endpoint, lrs, [statement()]).status_code == 200


def test_proxy_answers_502_while_the_store_is_down(lrs, lrs_proxy):
    lrs.stop()
    assert post(lrs_proxy.endpoint, lrs, [statement()]).status_code == 502
    lrs.start()
    assert post(lrs_proxy.endpoint, lrs, [statement()]).status_code == 200


def test_ralph_validate_accepts_good_and_rejects_a_bad_verb_iri(ralph_validate):
    good = statement()
    bad = statement()
    bad["verb"]["id"] = "experienced"  # not an IRI
    assert ralph_validate([good]) == []
    errors = ralph_validate([good, bad])
    assert errors, "a verb id that is not an IRI must be rejected"
    assert all(e.startswith(f"statement 1 ({bad['id']}): verb") for e in errors), errors

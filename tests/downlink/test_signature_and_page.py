"""Signature checks and page parsing: a page is believed only if signed exactly and shaped as the contract says."""

from __future__ import annotations

import base64
import json

import pytest

from edge.bench.district.signing import generate_keypair, sign
from edge.downlink import Change, PageFormatError, SignatureError, parse_page, verify
from edge.downlink.signature import load_public_key

BODY = b'{"cursor":"3","more":false,"changes":[]}'


def test_a_good_signature_passes() -> None:
    private, public = generate_keypair()
    assert verify(public, BODY, sign(private, BODY)) is None  # no SignatureError


@pytest.mark.parametrize(("header", "message"), [
    (None, "not signed"), ("", "not signed"), ("%%%not base64", "not base64"),
])
def test_missing_or_unreadable_signature(header, message) -> None:
    _, public = generate_keypair()
    with pytest.raises(SignatureError, match=message):
        verify(public, BODY, header)


def test_another_key_or_another_body_fails() -> None:
    private, public = generate_keypair()
    stranger, _ = generate_keypair()
    with pytest.raises(SignatureError, match="does not match"):
        verify(public, BODY, sign(stranger, BODY))
    with pytest.raises(SignatureError, match="does not match"):
        verify(public, BODY.replace(b"false", b"true "), sign(private, BODY))
    with pytest.raises(SignatureError, match="does not match"):
        verify(public, BODY + b" ", sign(private, BODY))  # exact bytes, not equivalent JSON


def test_a_bad_configured_key_is_a_value_error() -> None:
    for key in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError, match="district_public_key"):
            load_public_key(key)


ENV = {"box_id": "box-7", "since": "4", "serial": 9, "issued_at": "2026-12-05T04:00:00Z"}


def _env(body: bytes) -> bytes:
    """``body`` with a valid envelope, so that it fails (or not) for its own shape."""
    return json.dumps({**ENV, **json.loads(body)}).encode() if body.startswith(b"{") else body


def test_parse_page() -> None:
    page = parse_page(json.dumps({**ENV, "cursor": "9", "more": True, "changes": [
        {"kind": "grant", "op": "upsert", "id": "g1", "data": {"gate": "north"}},
        {"kind": "face", "op": "delete", "id": "f1", "data": None},
    ]}).encode())
    assert page.cursor == "9" and page.more is True
    assert page.envelope is not None and (page.envelope.box_id, page.envelope.since, page.envelope.serial) == (
        "box-7", "4", 9)
    assert page.envelope.issued_at.isoformat() == "2026-12-05T04:00:00+00:00"
    assert page.changes == (Change("grant", "upsert", "g1", {"gate": "north"}), Change("face", "delete", "f1", {}))


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"more": false, "changes": []}', b'{"cursor": "1", "more": "no", "changes": []}',
    b'{"cursor": "1", "more": false, "changes": [{"kind": "pet", "op": "upsert", "id": "x", "data": {}}]}',
    b'{"cursor": "1", "more": false, "changes": [{"kind": "grant", "op": "merge", "id": "x", "data": {}}]}',
    b'{"cursor": "1", "more": false, "changes": [{"kind": "grant", "op": "upsert", "id": "", "data": {}}]}',
    b'{"cursor": "1", "more": false, "changes": [{"kind": "grant", "op": "upsert", "id": "x", "data": []}]}',
])
def test_malformed_pages_are_refused(body: bytes) -> None:
    with pytest.raises(PageFormatError):
        parse_page(_env(body))


@pytest.mark.parametrize(("drop", "value", "message"), [
    ("box_id", None, "box_id"), ("box_id", "", "box_id"), ("since", 4, "since"), ("serial", None, "serial"),
    ("serial", -1, "serial"), ("serial", True, "serial"), ("issued_at", None, "issued_at"),
    ("issued_at", "2026-12-05T04:00:00", "issued_at"), ("issued_at", "yesterday", "issued_at"),
])
def test_a_page_without_its_envelope_is_refused(drop: str, value: object, message: str) -> None:
    page = {**ENV, "cursor": "9", "more": False, "changes": []}
    if value is None:
        del page[drop]
    else:
        page[drop] = value
    with pytest.raises(PageFormatError, match=message):
        parse_page(json.dumps(page).encode())

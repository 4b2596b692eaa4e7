"""Secrets come from the environment or a file, and never show when printed or logged."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import structlog
from pydantic import BaseModel, ValidationError

from edge.daemon.logs import setup_logging
from edge.secret import Secret


class WithSecret(BaseModel):
    token: Secret


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_TEST_TOKEN", "s3cret-value")
    model = WithSecret.model_validate({"token": {"env": "EDGE_TEST_TOKEN"}})
    assert model.token.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(model) and "s3cret-value" not in str(model.model_dump())


def test_secret_from_file(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-file\n")
    model = WithSecret.model_validate({"token": {"file": str(tmp_path / "token")}})
    assert model.token.get_secret_value() == "from-file"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("plain-text", "secrets are not written in the config"),
        ({"env": "EDGE_DOES_NOT_EXIST_42"}, "EDGE_DOES_NOT_EXIST_42 is not set"),
        ({"file": "/nonexistent/token"}, "cannot read secret file"),
        ({"env": "A", "file": "/b"}, "a secret is"),
    ],
)
def test_bad_secrets_are_clear_errors(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WithSecret.model_validate({"token": value})


def test_log_lines_mask_secret_looking_keys() -> None:
    stream = io.StringIO()
    setup_logging("info", "json", stream)
    try:
        structlog.get_logger("t").info("uplink.auth", token="abc123", password="pw", box="b1")
    finally:
        structlog.reset_defaults()
    line = json.loads(stream.getvalue().strip())
    assert line["token"] == "***" and line["password"] == "***" and line["box"] == "b1"
    assert "abc123" not in stream.getvalue()

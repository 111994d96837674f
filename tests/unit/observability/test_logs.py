"""Log formats and request ids on log records."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import orjson
import pytest
from pydantic import ValidationError

from graph_service.observability.logs import configure_logging, reset_request_id, use_request_id
from graph_service.observability.requests import request_id_of
from graph_service.settings import load_settings


@pytest.fixture()
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_are_one_object_per_line_with_the_request_id_and_extra_fields(
    restore_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(load_settings(log_format="json", log_level="INFO"))
    log = logging.getLogger("digispine.test")
    token = use_request_id("req-1")
    try:
        log.info("batch %d written", 7, extra={"batch": 7, "product": "equipmentOEE"})
    finally:
        reset_request_id(token)
    log.warning("outside a request")
    lines = capsys.readouterr().err.strip().splitlines()
    first, second = (orjson.loads(line) for line in lines[-2:])
    assert first["message"] == "batch 7 written" and first["level"] == "INFO"
    assert first["logger"] == "digispine.test" and first["request_id"] == "req-1"
    assert first["batch"] == 7 and first["product"] == "equipmentOEE"
    assert first["time"].endswith("+00:00")
    assert "request_id" not in second and second["level"] == "WARNING"


def test_text_logs_stay_readable_and_name_the_request(
    restore_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(load_settings(log_level="INFO"))
    configure_logging(load_settings(log_level="INFO"))  # again: still one line per record
    token = use_request_id("abc")
    try:
        logging.getLogger("digispine.test").info("hello")
    finally:
        reset_request_id(token)
    lines = [line for line in capsys.readouterr().err.splitlines() if "hello" in line]
    assert len(lines) == 1
    assert lines[0].endswith("INFO digispine.test: hello [request abc]")


def test_records_go_to_the_stderr_of_the_moment_not_a_closed_one(
    restore_root: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A command run in-process (CliRunner) configures logging on its own stderr, then closes it.
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging(load_settings(log_level="INFO"))
    first.close()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("digispine.test").info("after the runner")
    assert "after the runner" in second.getvalue()


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValidationError, match="DIGISPINE_LOG_FORMAT|log_format"):
        load_settings(log_format="xml")


@pytest.mark.parametrize("given", ["plant-7.abc", "0af7651916cd43dd8448eb211c80319c", "a/b:c@d+e=f"])
def test_a_plausible_incoming_request_id_is_kept(given: str) -> None:
    assert request_id_of([(b"x-request-id", given.encode())]) == given


@pytest.mark.parametrize("given", [b"", b"two words", b"x" * 129, b'quote"d', b"new\nline"])
def test_an_implausible_or_missing_request_id_is_replaced(given: bytes) -> None:
    made = request_id_of([(b"x-request-id", given)])
    assert made != given.decode("latin-1") and len(made) == 32
    assert request_id_of([]) != request_id_of([])

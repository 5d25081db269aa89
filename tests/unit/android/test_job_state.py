"""Unit tests of the ``cmd jobscheduler get-job-state`` parser."""

from __future__ import annotations

import json

import pytest

from harness.android import job_state
from harness.errors import ParseError


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("waiting\n", ["waiting"]),
        ("ready\n\n", ["ready"]),
        # "pending" is print()ed, "active" println()ed after a space: one line.
        ("pending active\n\n", ["pending", "active"]),
        # Later words each end their own line.
        ("active\n user-stopped\n backing-up\n\n", ["active", "user-stopped", "backing-up"]),
        ("no-component\n ready\n\n", ["no-component", "ready"]),
        ("pending ready\n", ["pending", "ready"]),
    ],
)
def test_state_words(text: str, states: list[str]) -> None:
    result = job_state.parse(text)
    assert result.states == states
    assert result.found and result.error is None
    for word in job_state.STATES:
        assert getattr(result, word.replace("-", "_")) is (word in states)


def test_unknown_package() -> None:
    result = job_state.parse("unknown(com.example.missing)\n")
    assert result.error == "no_package" and not result.found
    assert result.unknown_package == "com.example.missing"
    assert result.states == []


def test_unknown_job() -> None:
    result = job_state.parse(b"unknown(u0a201/jid42)\r\n")
    assert result.error == "no_job"
    assert result.unknown_uid == "u0a201" and result.unknown_uid_number == 10201
    assert result.unknown_job_id == 42 and result.unknown_namespace is None


def test_unknown_job_in_namespace_and_other_user() -> None:
    result = job_state.parse("unknown(u10a5/sync/jid-3)\n")
    assert result.error == "no_job"
    assert result.unknown_uid_number == 10 * 100_000 + 10_005
    assert result.unknown_namespace == "sync" and result.unknown_job_id == -3


def test_unexpected_words_are_kept() -> None:
    result = job_state.parse("pending throttled\n")
    assert result.states == ["pending"] and result.other_tokens == ["throttled"]


@pytest.mark.parametrize("text", ["", "\n", "Error: unknown option '-x'\n", "Package not found"])
def test_not_a_job_state(text: str) -> None:
    with pytest.raises(ParseError):
        job_state.parse(text)


def test_to_json() -> None:
    data = job_state.parse("pending active\n").to_json()
    json.dumps(data)
    assert data["states"] == ["pending", "active"] and data["pending"] and data["active"]

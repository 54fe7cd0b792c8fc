"""Generated ids never look like secrets or personal data, so the server never refuses its own ids."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from mcp import Client

from orchestra.security import opaque_ids
from orchestra.security.identifiers import is_sensitive_identifier
from orchestra.security.opaque_ids import OpaqueIdError, opaque_id
from orchestra_mcp.server import create_server

pytestmark = pytest.mark.anyio
# Tails a random hex draw can produce that the data rules match: Luhn-valid card numbers with an
# issuer prefix (Mastercard, Visa, Mastercard 2-series), about 1 session id in 25,000 before the redraw.
SENSITIVE_TAILS = ["5499562194845919", "4539578763621486", "2484681719939553"]


def scripted(tails: list[str]) -> Callable[[int], str]:
    """A draw that returns ``tails`` first, then ordinary hex."""
    queue: Iterator[str] = itertools.chain(tails, (f"{n:016x}abc" for n in itertools.count(0xABCDEF)))
    return lambda _nbytes: next(queue)


@pytest.mark.parametrize("tail", SENSITIVE_TAILS)
def test_a_draw_that_matches_a_data_rule_is_drawn_again(tail: str) -> None:
    assert is_sensitive_identifier("BENCH:manual:developer:claude-cli:" + tail)
    made = opaque_id("BENCH:manual:developer:claude-cli:", draw=scripted([tail, tail]))
    assert not made.endswith(tail) and not is_sensitive_identifier(made)


def test_hex_after_the_letters_aba_is_not_a_bank_account() -> None:
    # "aba" is a routing-number keyword; inside a hex token it is not a word of its own
    assert not is_sensitive_identifier("56210aba75557809")
    assert is_sensitive_identifier("ABA routing 021000021")


def test_a_sensitive_fixed_part_is_an_error_not_a_loop() -> None:
    with pytest.raises(OpaqueIdError):
        opaque_id("card 4539578763621486 ", draw=lambda _n: "x")


def test_real_draws_are_never_sensitive() -> None:
    for _ in range(3000):
        assert not is_sensitive_identifier(opaque_id("prompt-", 8))


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_card_shaped_draw_still_gives_a_session_the_server_accepts(app: Any, monkeypatch: Any,
                                                                            mode: str) -> None:
    monkeypatch.setattr(opaque_ids.secrets, "token_hex", scripted(SENSITIVE_TAILS * 2))
    async with Client(create_server(app), mode=mode) as client:
        assert not (await client.call_tool("task_add", {"id": "T1", "title": "t", "owner_role": "developer"})
                    ).is_error
        spawned = await client.call_tool("spawn_request", {"task_id": "T1", "runtime": "claude-cli"})
        assert not spawned.is_error, spawned.content
        session = spawned.structured_content["session_id"]  # type: ignore[index]
        assert not is_sensitive_identifier(session)
        updated = await client.call_tool("session_update", {"session_id": session, "status": "completed",
                                                            "result": {"summary": "done"}})
        assert not updated.is_error, updated.content

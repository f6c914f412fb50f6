"""A server's stream that ends without "[DONE]" or a finish_reason (the server died) is an error
the live answerer can show, not a silently truncated rewrite; a normal or cancelled end is not."""

from __future__ import annotations

import json
import threading

import pytest

from copilot.errors import UserError
from copilot.pipeline.cues.generate import sse_deltas


def _chunk(content: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": content}, "finish_reason": finish}
    return f"data: {json.dumps({'choices': [choice]})}\n".encode()


def test_stream_cut_off_mid_reply_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="closed the connection in the middle of its reply"):
        list(sse_deltas([_chunk("- Clar"), _chunk("ify")], threading.Event()))


def test_done_or_finish_reason_ends_the_stream_normally() -> None:
    assert list(sse_deltas([_chunk("a"), b"data: [DONE]\n"], threading.Event())) == ["a"]
    assert list(sse_deltas([_chunk("a"), _chunk("b", finish="stop")], threading.Event())) == ["a", "b"]


def test_a_cancelled_stream_is_not_an_error() -> None:
    cancel = threading.Event()

    def lines():
        yield _chunk("a")
        cancel.set()
        yield _chunk("b")

    assert list(sse_deltas(lines(), cancel)) == ["a"]

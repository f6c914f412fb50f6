"""The generic stage runner as the live path uses it: a bounded inbox, back-pressure or a counted
drop, errors as StageError, a thread that ends with its input; and the one stale-result rule."""

from __future__ import annotations

import threading

from copilot.errors import UserError
from copilot.events import Bullets, Question, SourceEnded, StageError
from copilot.live.fresh import FreshResults, fresh_only, is_stale
from copilot.pipeline.runner import FunctionStage, StageThread


class Gate:
    """A stage that waits for `open` before it passes each event on."""

    name = "gate"

    def __init__(self) -> None:
        self.open = threading.Event()

    def process(self, event: object):
        assert self.open.wait(5)
        yield event


def test_a_full_inbox_refuses_an_offer_and_nothing_is_lost_of_what_it_took():
    gate, out = Gate(), []
    thread = StageThread(gate, out.append, maxsize=2).start()
    assert thread.offer(1)  # taken by the thread at once, where it waits at the gate
    assert thread.wait_idle(0.05) is False
    taken = [thread.offer(n) for n in range(2, 8)]
    assert taken.count(True) in (2, 3)  # the inbox's two slots (plus one if the thread had not taken 1 yet)
    gate.open.set()
    assert thread.wait_idle(5)
    assert out == [1, *[n for n, ok in zip(range(2, 8), taken, strict=True) if ok]]
    thread.stop()
    assert not thread.running


def test_errors_become_stage_errors_and_the_thread_goes_on():
    def process(event: int):
        if event == 1:
            raise UserError("the model file is missing")
        if event == 2:
            raise RuntimeError("a bug")
        yield event * 10

    out: list[object] = []
    thread = StageThread(FunctionStage("decode", process), out.append).start()
    for n in (1, 2, 3):
        thread.put(n)
    assert thread.wait_idle(5)
    thread.stop()
    assert out[0] == StageError("decode", "the model file is missing")
    assert isinstance(out[1], StageError) and out[1].message.startswith("internal error: RuntimeError")
    assert out[2] == 30


def test_until_ends_the_thread_after_the_last_event():
    out: list[object] = []
    thread = StageThread(
        FunctionStage("segment", lambda e: [e]), out.append, until=lambda e: isinstance(e, SourceEnded)
    ).start()
    thread.put("frame")
    thread.put(SourceEnded("interviewer", "end of file"))
    thread._thread.join(5)
    assert not thread.running
    assert out == ["frame", SourceEnded("interviewer", "end of file")]


def _bullets(question_id: int) -> Bullets:
    return Bullets(question_id, ("cue",), "llm", True, 1.0)


def test_results_of_an_older_question_never_reach_the_sink():
    seen: list[object] = []
    fresh = FreshResults(seen.append)
    fresh(Question(2, "How would you design it?", 1.0))
    fresh(_bullets(1))  # a late rewrite of question 1
    fresh(_bullets(2))
    fresh(StageError("generate", "server down", 1))  # errors are never stale: the user must see them
    assert seen == [Question(2, "How would you design it?", 1.0), _bullets(2), StageError("generate", "server down", 1)]
    fresh.see(3)  # question 3 began, nothing of it shown yet
    fresh(_bullets(2))
    assert seen[-1] == StageError("generate", "server down", 1)
    assert fresh_only(fresh) is fresh


def test_is_stale_reads_the_question_id_of_every_result_kind():
    question = Question(1, "Why us?", 0.0)
    assert is_stale(question, 2) and not is_stale(question, 1)
    assert not is_stale(SourceEnded("interviewer", "stopped"), 99)

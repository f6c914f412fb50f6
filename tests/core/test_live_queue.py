"""The live transcription queue: finals first, the newest partial, second decodes only when idle."""

from __future__ import annotations

import numpy as np

from copilot.events import CANDIDATE, INTERVIEWER, Question, Utterance
from copilot.live.session import _Redecode, _TranscriptionQueue

AUDIO = np.zeros(16_000, np.float32)


def utterance(uid: int, final: bool, speaker: str = INTERVIEWER) -> Utterance:
    return Utterance(uid, speaker, AUDIO, 0.0, 1.0, final)


def job(mark: int = 0) -> _Redecode:
    question = Question(1, "How would you design it?", 5.0, utterance_ids=(1,))
    return _Redecode(question, (AUDIO, AUDIO), cut=True, speech_mark=mark)


def test_a_second_decode_waits_for_finals_and_partials():
    queue = _TranscriptionQueue()
    queue.put(job())
    queue.put(utterance(7, final=False, speaker=CANDIDATE))
    queue.put(utterance(8, final=True, speaker=CANDIDATE))
    assert isinstance(queue.get(), Utterance) and isinstance(queue.get(), Utterance)
    assert isinstance(queue.get(), _Redecode)


def test_interviewer_speech_since_the_question_drops_its_second_decode_and_the_rest_of_a_running_one():
    queue = _TranscriptionQueue()
    queue.put(job())
    running = queue.get()
    assert isinstance(running, _Redecode)
    queue.put(utterance(2, final=False))  # the interviewer goes on while a window is decoded
    queue.put(running.step(lambda samples, previous: "text"))  # the rest of it comes back
    assert queue.get() == utterance(2, final=False)
    assert queue.take_background() == []
    queue.put(utterance(2, final=True))
    assert queue.get() == utterance(2, final=True)
    queue.put(job(mark=1))  # a question that ended before that speech: not re-decoded
    assert queue.take_background() == []


def test_an_undisturbed_second_decode_goes_on_window_by_window():
    queue = _TranscriptionQueue()
    queue.put(job())
    first = queue.get()
    assert isinstance(first, _Redecode)
    contexts: list[str] = []
    queue.put(first.step(lambda samples, previous: contexts.append(previous) or "one"))
    rest = queue.get()
    assert isinstance(rest, _Redecode) and rest.texts == ("one",) and len(rest.windows) == 1
    done = rest.step(lambda samples, previous: contexts.append(previous) or "two")
    assert done.texts == ("one", "two") and not done.windows
    assert contexts == ["", "one"]  # each window is decoded with the text of the one before


def test_finals_wait_for_a_free_slot_and_none_is_lost():
    import threading

    queue = _TranscriptionQueue(max_urgent=2)
    queue.put(utterance(1, final=True))
    queue.put(utterance(2, final=True))
    third = threading.Thread(target=queue.put, args=(utterance(3, final=True),))
    third.start()
    third.join(0.2)
    assert third.is_alive()  # the segmenter waits: two finals are already queued
    queue.put(utterance(9, final=False))  # a partial never waits: it replaces the older snapshot
    assert queue.get() == utterance(1, final=True)
    third.join(5)
    assert not third.is_alive()
    assert [queue.get() for _ in range(3)] == [
        utterance(2, final=True),
        utterance(3, final=True),
        utterance(9, final=False),
    ]

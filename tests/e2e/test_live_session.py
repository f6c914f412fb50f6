"""The whole live pipeline on recorded turns: file sources -> VAD -> whisper -> turns -> cards -> bullets."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import EXAMPLE_STORIES, speak

from copilot.audio.decode import load_audio
from copilot.audio.sources import FileSource
from copilot.composition import open_core
from copilot.config.settings import Settings
from copilot.events import CANDIDATE, INTERVIEWER, Bullets, CardsReady, Question, SourceEnded, Transcript
from copilot.live.bench import speech_end_s
from copilot.live.session import LiveSession

pytestmark = pytest.mark.slow


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []
        self.lock = threading.Lock()

    def __call__(self, event: object) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind, **fields):
        return [e for e in self.events if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())]


@pytest.fixture(scope="module")
def core():
    core = open_core(Settings(), str(EXAMPLE_STORIES))
    yield core
    core.close()


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16_000), dtype=np.float32)


def run_session(core, sources) -> tuple[LiveSession, Recorder]:
    recorder = Recorder()
    session = LiveSession(core, sources, recorder)
    session.start()
    assert session.all_ended.wait(180), "the session did not finish"
    assert session.answerer.wait_idle(120)
    session.stop()
    return session, recorder


def test_two_questions_through_the_live_path(core, tmp_path):
    first = load_audio(speak("What is the difference between L1 and L2 regularization?", tmp_path / "a.wav"))
    second = load_audio(speak("Tell me about a time you had to cut the cost of serving a model.", tmp_path / "b.wav"))
    audio = np.concatenate([_silence(0.5), first, _silence(4.0), second, _silence(3.0)])
    session, rec = run_session(core, [FileSource.from_samples(audio, INTERVIEWER, realtime=False)])

    finals = rec.of(Question, is_final=True)
    assert len(finals) == 2, [q.text for q in finals]
    # Each was said in one short stretch, which the live final decoded whole: no second decode.
    assert not rec.of(Question, revised=True)
    assert "difference between l1" in finals[0].text.lower() and "serving" in finals[1].text.lower()
    assert finals[1].question_id > finals[0].question_id

    cards = {c.question_id: c for c in rec.of(CardsReady)}  # the last cards shown per question
    assert cards[finals[0].question_id].typed.question_type == "technical"
    assert cards[finals[0].question_id].topics[0].id == "l1-vs-l2"
    assert cards[finals[1].question_id].typed.question_type == "behavioral"
    assert "distilled-intent-classifier" in [s.id for s in cards[finals[1].question_id].stories]

    done = rec.of(Bullets, done=True)
    assert done and done[-1].question_id == finals[1].question_id
    assert all(len(b.split()) <= 12 for b in done[-1].bullets)
    # Nothing for the first question arrives once the second one has started.
    start_of_second = next(
        i for i, e in enumerate(rec.events) if isinstance(e, Question) and e.question_id == finals[1].question_id
    )
    late = [
        e
        for e in rec.events[start_of_second:]
        if isinstance(e, CardsReady | Bullets) and e.question_id == finals[0].question_id
    ]
    assert late == []

    partials = rec.of(Transcript, speaker=INTERVIEWER, is_final=False)
    assert partials, "partial transcripts are shown while the interviewer speaks"
    assert rec.of(SourceEnded, source=INTERVIEWER)
    assert session.dropped_frames[INTERVIEWER] == 0


def test_candidate_speech_is_transcribed_but_never_prompts(core, tmp_path):
    question = load_audio(speak("Why do you want to join our team?", tmp_path / "q.wav"))
    answer = load_audio(speak("I love building reliable machine learning systems.", tmp_path / "a.wav"))
    q_len = len(question) / 16_000
    interviewer = np.concatenate([_silence(0.3), question, _silence(2.5 + len(answer) / 16_000 + 2.0)])
    candidate = np.concatenate([_silence(0.3 + q_len + 2.5), answer, _silence(2.0)])
    # Both sources at real-time pace, as two devices would deliver them: nothing may be dropped.
    session, rec = run_session(
        core,
        [
            FileSource.from_samples(interviewer, INTERVIEWER, realtime=True),
            FileSource.from_samples(candidate, CANDIDATE, realtime=True),
        ],
    )
    assert session.dropped_frames == {INTERVIEWER: 0, CANDIDATE: 0}
    finals = rec.of(Question, is_final=True)
    assert [q.text.lower().count("join") for q in finals] == [1]
    heard = rec.of(Transcript, speaker=CANDIDATE, is_final=True)
    assert heard and "machine learning" in " ".join(t.text.lower() for t in heard)


def test_speech_end_is_found_offline(tmp_path):
    samples = load_audio(speak("Tell me about yourself.", tmp_path / "s.wav"))
    padded = np.concatenate([samples, _silence(2.0)])
    assert abs(speech_end_s(padded) - speech_end_s(samples)) < 0.03
    assert speech_end_s(padded) < len(padded) / 16_000 - 1.9

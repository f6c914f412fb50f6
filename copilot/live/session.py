"""A live session: both audio sources through the whole pipeline, on threads, into one sink.

Threads (DESIGN.md: threads, not asyncio; the heavy work is native code that releases the GIL):
  - the audio callbacks only put frames on a bounded inbox per source (drops are counted);
  - one segmenter thread per source (Silero VAD is cheap);
  - one transcription thread, since both speakers share one whisper model: final decodes go first,
    and only the newest partial of each utterance is kept, so partials never queue up behind the CPU;
    when nothing else waits, it re-decodes a question that just ended on whisper's full window (the
    short window used live garbles a phrase now and then) and sends the question again, `revised`,
    if the text changed;
  - one "turn" thread: turn detection, classification, retrieval, composer bullets (milliseconds);
  - the answerer's own thread for the language-model rewrite.
Each is a stage on the generic runner (copilot/pipeline/runner.StageThread) with a bounded inbox,
except the transcription, whose inbox keeps the order above. Everything the user should see goes to
`sink` through `FreshResults`: one call at a time, and never a result for an older question.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from copilot.adapters.transcribe import continued, packed_windows
from copilot.audio import SAMPLE_RATE
from copilot.audio.sources import AudioSource
from copilot.composition import Core, transcribe_options
from copilot.events import (
    CANDIDATE,
    INTERVIEWER,
    AnswerNow,
    AudioFrame,
    Question,
    QuestionRedecoded,
    SourceEnded,
    SpeechPaused,
    StageError,
    Tick,
    Transcript,
    Utterance,
)
from copilot.live.answering import Answerer
from copilot.live.fresh import FreshResults
from copilot.live.revision import rejection, worth_a_second_decode
from copilot.live.segmenter import Segmenter, SegmenterOptions
from copilot.live.streaming import StreamingOptions, StreamingTranscriber, collapse_repeats
from copilot.live.turns import TurnDetector
from copilot.live.vad import SileroSpeechDetector, SpeechDetector
from copilot.pipeline.runner import FunctionStage, StageThread

log = logging.getLogger(__name__)
Sink = Callable[[object], None]
FRAME_QUEUE_BLOCKS = 256  # 8 s of 32 ms blocks: enough to ride out a slow decode without dropping
# The turn thread's work per event is milliseconds; a full inbox means it is stuck, and then the
# transcription waits (back-pressure) rather than the inbox growing all session.
TURN_INBOX_EVENTS = 256
URGENT_EVENTS = 64  # finals and pauses waiting for the transcriber (each a view of its utterance's audio)
TICK_EVERY_S = 0.1
KEPT_UTTERANCES = 16  # interviewer utterances kept for the second decode (at most ~90 s each)


@dataclass(frozen=True)
class _Redecode:
    """Decode a finished question's audio again, on the full window (see the module doc), one
    window per turn of the transcription loop so live decodes can go in between."""

    question: Question
    windows: tuple[np.ndarray, ...]  # each ends in a pause and fits whisper's window
    texts: tuple[str, ...] = ()  # of the windows decoded so far
    cut: bool = False  # `windows` are still whole utterances until the first step cuts them
    speech_mark: int = -1  # the queue's count of interviewer speech events when the question ended

    def step(self, transcribe: Callable[[np.ndarray, str], str]) -> _Redecode:
        """Decode the next window, with the text of the one before as context."""
        text = transcribe(self.windows[0], self.texts[-1] if self.texts else "")
        return replace(self, windows=self.windows[1:], texts=(*self.texts, text))


@dataclass(frozen=True)
class LiveOptions:
    interviewer: SegmenterOptions = field(default_factory=SegmenterOptions)
    # A candidate thinking aloud pauses longer mid-answer than an interviewer between sentences.
    candidate: SegmenterOptions = field(default_factory=lambda: SegmenterOptions(end_pause_s=1.0))
    merge_window_s: float = 2.0


def options_from_settings(core: Core, *, pause_s: float | None = None) -> LiveOptions:
    """The session's options from [turn]; `pause_s`, when given, is the end-of-question pause chosen
    for this session (the live window's toolbar) and takes the place of [turn] pause_s, so the UI
    passes it in instead of changing the core's settings."""
    turn = core.settings.turn
    pause = turn.pause_s if pause_s is None else pause_s
    short = min(turn.speculate_after_s, pause)
    return LiveOptions(
        interviewer=SegmenterOptions(end_pause_s=pause, short_pause_s=short),
        merge_window_s=turn.merge_window_s,
    )


class _TranscriptionQueue:
    """Finals and pauses in arrival order first; then the newest partial of any utterance; then, when
    nothing else waits, second decodes (dropped as soon as the interviewer speaks again: a question
    that is reopened or followed by another is not worth the CPU).

    Bounded: partials replace each other, second decodes are a few per question, and finals and pauses
    wait for a free slot once `max_urgent` are queued (the segmenter then waits, and its own inbox drops
    a device's frames, counted), so a transcriber that cannot keep up never grows memory all session."""

    def __init__(self, max_urgent: int = URGENT_EVENTS) -> None:
        self._max_urgent = max_urgent
        self._urgent: deque[object] = deque()
        self._partials: dict[int, Utterance] = {}
        self._background: deque[_Redecode] = deque()
        self._speech_events = 0
        self._cond = threading.Condition()

    def put(self, event: object) -> None:
        with self._cond:
            if isinstance(event, Utterance | SpeechPaused) and event.speaker == INTERVIEWER:
                self._background.clear()
                self._speech_events += 1
            if isinstance(event, _Redecode):
                # Only if the interviewer has not spoken since the question ended (a two-part
                # question must not wait behind the first part's re-decode); a part done goes first.
                if event.speech_mark == self._speech_events and event.texts:
                    self._background.appendleft(event)
                elif event.speech_mark == self._speech_events:
                    self._background.append(event)
            elif isinstance(event, Utterance) and not event.is_final:
                self._partials[event.utterance_id] = event  # replaces an older, undecoded snapshot
            else:
                if isinstance(event, Utterance | SpeechPaused):
                    self._partials.pop(event.utterance_id, None)
                while len(self._urgent) >= self._max_urgent:
                    self._cond.wait()  # only segmenter threads put these: the transcriber never waits on them
                self._urgent.append(event)
            self._cond.notify_all()  # the transcriber, or a segmenter waiting for a slot

    def get(self) -> object:
        with self._cond:
            while not self._urgent and not self._partials and not self._background:
                self._cond.wait()
            if self._urgent:
                self._cond.notify_all()  # a slot is free
                return self._urgent.popleft()
            if self._partials:
                key = next(iter(self._partials))
                return self._partials.pop(key)
            return self._background.popleft()

    @property
    def speech_events(self) -> int:
        with self._cond:
            return self._speech_events

    def take_background(self) -> list[_Redecode]:
        with self._cond:
            jobs = list(self._background)
            self._background.clear()
            return jobs


class LiveSession:
    def __init__(
        self,
        core: Core,
        sources: list[AudioSource],
        sink: Sink,
        options: LiveOptions | None = None,
        detector_factory: Callable[[], SpeechDetector] = SileroSpeechDetector,
    ) -> None:
        if core.transcriber is None:
            raise ValueError("a live session needs the speech model loaded")
        self.options = options or options_from_settings(core)
        self._emit = FreshResults(sink)
        self._sources = sources
        ids = itertools.count(1)
        self._segmenters = {
            s.speaker: Segmenter(s.speaker, ids, detector_factory(), self._segmenter_options(s.speaker))
            for s in sources
        }
        prompt = transcribe_options(core)
        self._transcriber = core.transcriber
        self._full_window = replace(prompt, short_window=False)
        self._utterance_audio: OrderedDict[int, np.ndarray] = OrderedDict()
        self._audio_lock = threading.Lock()  # written by the transcription thread, read by the turn thread
        self._transcribers = {
            INTERVIEWER: StreamingTranscriber(core.transcriber, StreamingOptions(), prompt),
            # Nobody reads the candidate's partials live; their finals feed the answer feedback.
            CANDIDATE: StreamingTranscriber(core.transcriber, StreamingOptions(decode_partials=False), prompt),
        }
        stages = core.stages()
        self.turns = TurnDetector(self.options.merge_window_s)
        self.answerer = Answerer(stages.classify, stages.retrieve, stages.bullets, self._emit, hold_rewrites=True)
        # The newest transcript of each interviewer utterance sent to the turn thread: an older
        # partial still in its inbox is skipped (its classify and retrieve would be wasted, and under
        # load they held the final of a two-part question back by 1.4 s).
        self._newest_transcript: dict[int, Transcript] = {}
        self._frames = {s.speaker: self._segment_thread(s.speaker) for s in sources}
        self._transcription = _TranscriptionQueue()
        self._open_sources = set(self._frames)  # transcription thread only
        self._transcribing = StageThread(
            FunctionStage("transcribe", self._transcribe),
            self._to_turns,
            inbox=self._transcription,
            until=lambda _: not self._open_sources,
        )
        self._turn_thread = StageThread(
            FunctionStage("turns", self._on_turn_event),
            self._emit,
            TURN_INBOX_EVENTS,
            until=lambda _: len(self._ended) == len(self._frames),
        )
        self._held_redecodes: list[_Redecode] = []  # turn thread only
        self._ended: set[str] = set()
        self.all_ended = threading.Event()
        self.dropped_frames = {s.speaker: 0 for s in sources}

    def _segmenter_options(self, speaker: str) -> SegmenterOptions:
        return self.options.interviewer if speaker == INTERVIEWER else self.options.candidate

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        for thread in (*self._frames.values(), self._transcribing, self._turn_thread):
            thread.start()
        for source in self._sources:
            # A device must never wait on us (drop and count instead); a file replayed faster than
            # real time has no deadline, so it waits for the pipeline and loses nothing.
            paced_by_us = getattr(source, "realtime", True) is False
            source.start(self._frame_callback(source.speaker, blocking=paced_by_us), self._end_callback)

    def stop(self) -> None:
        for source in self._sources:
            source.stop()
        for speaker, frames in self._frames.items():
            if speaker not in self._ended:
                frames.put(SourceEnded(speaker, "stopped"))
        self.answerer.close()

    def answer_now(self) -> None:
        """The "answer now" shortcut: treat what the interviewer said so far as the question.

        Never waits (it is called from the GUI thread); a turn thread 256 events behind drops it."""
        if not self._turn_thread.offer(AnswerNow()):
            log.warning("answer now dropped: the turn thread is %d events behind", TURN_INBOX_EVENTS)

    # --- audio ----------------------------------------------------------------------------------

    def _frame_callback(self, speaker: str, blocking: bool) -> Callable[[AudioFrame], None]:
        frames = self._frames[speaker]

        def on_frame(frame: AudioFrame) -> None:
            if blocking:
                frames.put(frame)
            elif not frames.offer(frame):
                self.dropped_frames[speaker] += 1

        return on_frame

    def _end_callback(self, event: SourceEnded) -> None:
        self._frames[event.source].put(event)  # blocking: the end must not be dropped

    def _segment_thread(self, speaker: str) -> StageThread:
        segmenter = self._segmenters[speaker]
        next_tick = 0.0

        def segment(event: AudioFrame | SourceEnded) -> Iterator[object]:
            nonlocal next_tick
            if speaker == INTERVIEWER and isinstance(event, AudioFrame):
                t_end = event.t_start_s + len(event.samples) / SAMPLE_RATE
                if t_end >= next_tick:
                    yield Tick(t_end)
                    next_tick = t_end + TICK_EVERY_S
            yield from segmenter.process(event)

        return StageThread(
            FunctionStage(f"segment-{speaker}", segment),
            self._from_segmenter,
            FRAME_QUEUE_BLOCKS,
            until=lambda event: isinstance(event, SourceEnded),
        )

    def _from_segmenter(self, event: object) -> None:
        if isinstance(event, Tick):
            self._turn_thread.offer(event)  # a tick lost to a full inbox is made good by the next
        elif isinstance(event, StageError):
            self._emit(event)
        else:
            self._transcribing.put(event)

    # --- transcription --------------------------------------------------------------------------

    def _transcribe(self, event: object) -> Iterator[object]:
        if isinstance(event, _Redecode):
            yield from self._redecode(event)
            return
        if isinstance(event, Utterance) and event.is_final and event.speaker == INTERVIEWER:
            self._keep_audio(event)
        if isinstance(event, SourceEnded) and self._open_sources == {event.source}:
            for held in self._transcription.take_background():  # the last words of a replayed file
                yield self._decode_rest(held)
        speaker = event.source if isinstance(event, SourceEnded) else event.speaker  # type: ignore[attr-defined]
        try:
            yield from self._transcribers[speaker].process(event)
        finally:
            if isinstance(event, SourceEnded):
                self._open_sources.discard(event.source)

    def _to_turns(self, event: object) -> None:
        """What the transcription yields: transcripts are shown and go on to the turn thread."""
        if isinstance(event, Transcript | StageError):
            self._emit(event)
        if isinstance(event, Transcript) and event.speaker == INTERVIEWER:
            self._newest_transcript[event.utterance_id] = event
        if not isinstance(event, StageError):
            self._turn_thread.put(event)

    def _keep_audio(self, utterance: Utterance) -> None:
        with self._audio_lock:
            self._utterance_audio[utterance.utterance_id] = utterance.samples
            while len(self._utterance_audio) > KEPT_UTTERANCES:
                self._utterance_audio.popitem(last=False)

    def _redecode_job(self, question: Question) -> _Redecode | None:
        with self._audio_lock:
            audio = [self._utterance_audio.get(uid) for uid in question.utterance_ids]
        if not audio or any(a is None for a in audio):
            return None  # a partial-only question ("answer now" mid-sentence), or audio already let go
        clips = tuple(a for a in audio if a is not None)
        if not worth_a_second_decode(clips):
            return None  # said in one short stretch: the live final already heard it whole
        mark = self._transcription.speech_events  # interviewer speech after this drops the job
        return _Redecode(question, clips, speech_mark=mark)

    def _redecode(self, job: _Redecode) -> Iterator[QuestionRedecoded]:
        job = job.step(self._decode_full) if job.cut else self._cut(job).step(self._decode_full)
        if job.windows:
            self._transcribing.put(job)
        else:
            yield self._result(job)

    def _decode_rest(self, job: _Redecode) -> QuestionRedecoded:
        """Every window still to decode, at once (no live decode will come between them)."""
        job = job if job.cut else self._cut(job)
        while job.windows:
            job = job.step(self._decode_full)
        return self._result(job)

    def _cut(self, job: _Redecode) -> _Redecode:
        """Utterances (each ends in a pause) cut or joined into whisper-sized windows."""
        return replace(job, windows=tuple(packed_windows(job.windows)), cut=True)

    def _decode_full(self, samples: np.ndarray, previous_text: str) -> str:
        return self._transcriber.transcribe(samples, continued(self._full_window, previous_text))

    @staticmethod
    def _result(job: _Redecode) -> QuestionRedecoded:
        return QuestionRedecoded(job.question, " ".join(collapse_repeats(" ".join(job.texts).split())))

    # --- turns and answers ----------------------------------------------------------------------

    def _on_turn_event(self, event: object) -> Iterator[object]:
        """The turn thread's stage: what it yields goes to the sink; cards and bullets go there from
        the answerer, after the question they answer."""
        if isinstance(event, SourceEnded):
            self._ended.add(event.source)
            yield event
            if event.source == INTERVIEWER:
                yield from self._answer(self.turns.process(AnswerNow()))
                self.answerer.release_rewrite()
                yield from self._redecode_now()
            if len(self._ended) == len(self._frames):
                self.all_ended.set()
            return
        if isinstance(event, QuestionRedecoded):
            yield from self._revise(event)
            return
        if self._superseded(event):
            return
        self._hold_or_release_redecodes(event)
        yield from self._answer(self.turns.process(event))
        if isinstance(event, Transcript) and event.speaker == CANDIDATE:
            self.answerer.release_rewrite()  # the candidate is answering: the question is settled

    def _answer(self, questions: Iterator[Question]) -> Iterator[Question]:
        for question in questions:
            yield question  # emitted by the runner before the answerer emits its cards
            self.answerer.on_question(question)
            job = self._redecode_job(question) if question.is_final and not question.revised else None
            if job is not None:
                self._held_redecodes.append(job)

    def _redecode_now(self) -> Iterator[Question]:
        """The interviewer's audio ended (a replayed file): no more ticks will release the held
        second decodes, so run them here (the transcriber serialises its callers)."""
        for held in self._held_redecodes:
            yield from self._revise(self._decode_rest(held))
        self._held_redecodes.clear()

    def _superseded(self, event: object) -> bool:
        """An interviewer partial with a newer transcript of its utterance behind it in the inbox."""
        if not isinstance(event, Transcript) or event.speaker != INTERVIEWER:
            return False
        newest = self._newest_transcript.get(event.utterance_id)
        if event.is_final and newest is event:
            del self._newest_transcript[event.utterance_id]  # nothing of this utterance comes after
        return not event.is_final and newest is not None and newest is not event

    def _hold_or_release_redecodes(self, event: object) -> None:
        """A second decode starts once the interviewer has stayed quiet for the merge window: one who
        goes on (a two-part question) would find the transcriber busy with the first part's audio."""
        if isinstance(event, Transcript) and event.speaker == INTERVIEWER:
            self._held_redecodes.clear()  # the question is reopened or followed by another
        elif isinstance(event, Tick):
            rewrite_end_s = self.answerer.held_rewrite_end_s
            if rewrite_end_s is not None and event.t_s - rewrite_end_s >= self.options.merge_window_s:
                self.answerer.release_rewrite()
            due = [j for j in self._held_redecodes if event.t_s - j.question.t_end_s >= self.options.merge_window_s]
            for job in due:
                self._held_redecodes.remove(job)
                self._transcribing.put(job)

    def _revise(self, done: QuestionRedecoded) -> Iterator[Question]:
        why_not = rejection(done.question.full_text, done.text)
        if why_not is not None:
            log.debug("second decode of question %d kept off screen: %s", done.question.question_id, why_not)
            return
        revised = self.turns.revise(done.question.question_id, done.text)
        if revised is not None:
            yield revised
            self.answerer.on_question(revised)

"""A live session: both audio sources through the whole pipeline, on threads, into one sink.

Threads (DESIGN.md: threads, not asyncio; the heavy work is native code that releases the GIL):
  - the audio callbacks only put frames on a bounded queue per source (drops are counted);
  - one segmenter thread per source (Silero VAD is cheap);
  - one transcription thread, since both speakers share one whisper model: final decodes go first,
    and only the newest partial of each utterance is kept, so partials never queue up behind the CPU;
  - one "turn" thread: turn detection, classification, retrieval, composer bullets (milliseconds);
  - the answerer's own thread for the language-model rewrite.
Everything the user should see goes to `sink`, called from these threads under one lock.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from copilot.audio.sources import AudioSource
from copilot.composition import Core, transcribe_options
from copilot.events import CANDIDATE, INTERVIEWER, AudioFrame, Question, SourceEnded, StageError, Transcript, Utterance
from copilot.live.answering import Answerer
from copilot.live.segmenter import Segmenter, SegmenterOptions, SpeechPaused
from copilot.live.streaming import StreamingOptions, StreamingTranscriber
from copilot.live.turns import AnswerNow, Tick, TurnDetector
from copilot.live.vad import SileroSpeechDetector, SpeechDetector

log = logging.getLogger(__name__)
Sink = Callable[[object], None]
FRAME_QUEUE_BLOCKS = 256  # 8 s of 32 ms blocks: enough to ride out a slow decode without dropping
TICK_EVERY_S = 0.1


@dataclass(frozen=True)
class LiveOptions:
    interviewer: SegmenterOptions = field(default_factory=SegmenterOptions)
    # A candidate thinking aloud pauses longer mid-answer than an interviewer between sentences.
    candidate: SegmenterOptions = field(default_factory=lambda: SegmenterOptions(end_pause_s=1.0))
    merge_window_s: float = 2.0


def options_from_settings(core: Core) -> LiveOptions:
    turn = core.settings.turn
    short = min(turn.speculate_after_s, turn.pause_s)
    return LiveOptions(
        interviewer=SegmenterOptions(end_pause_s=turn.pause_s, short_pause_s=short),
        merge_window_s=turn.merge_window_s,
    )


class _TranscriptionQueue:
    """Finals and pauses in arrival order first; then the newest partial of any utterance."""

    def __init__(self) -> None:
        self._urgent: deque[object] = deque()
        self._partials: dict[int, Utterance] = {}
        self._cond = threading.Condition()

    def put(self, event: object) -> None:
        with self._cond:
            if isinstance(event, Utterance) and not event.is_final:
                self._partials[event.utterance_id] = event  # replaces an older, undecoded snapshot
            else:
                if isinstance(event, Utterance | SpeechPaused):
                    self._partials.pop(event.utterance_id, None)
                self._urgent.append(event)
            self._cond.notify()

    def get(self) -> object:
        with self._cond:
            while not self._urgent and not self._partials:
                self._cond.wait()
            if self._urgent:
                return self._urgent.popleft()
            key = next(iter(self._partials))
            return self._partials.pop(key)


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
        self._sink_lock = threading.Lock()
        self._user_sink = sink
        self._sources = sources
        ids = itertools.count(1)
        self._segmenters = {
            s.speaker: Segmenter(s.speaker, ids, detector_factory(), self._segmenter_options(s.speaker))
            for s in sources
        }
        prompt = transcribe_options(core)
        self._transcribers = {
            INTERVIEWER: StreamingTranscriber(core.transcriber, StreamingOptions(), prompt),
            # Nobody reads the candidate's partials live; their finals feed the answer feedback.
            CANDIDATE: StreamingTranscriber(core.transcriber, StreamingOptions(decode_partials=False), prompt),
        }
        stages = core.stages()
        self.turns = TurnDetector(self.options.merge_window_s)
        self.answerer = Answerer(stages.classify, stages.retrieve, stages.bullets, self._emit)
        self._frames = {s.speaker: queue.Queue[AudioFrame | SourceEnded](FRAME_QUEUE_BLOCKS) for s in sources}
        self._transcription = _TranscriptionQueue()
        self._turn_inbox: queue.Queue[object] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._ended: set[str] = set()
        self.all_ended = threading.Event()
        self.dropped_frames = {s.speaker: 0 for s in sources}

    def _segmenter_options(self, speaker: str) -> SegmenterOptions:
        return self.options.interviewer if speaker == INTERVIEWER else self.options.candidate

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        for speaker in self._frames:
            self._spawn(f"segment-{speaker}", self._segment_loop, speaker)
        self._spawn("transcribe", self._transcribe_loop)
        self._spawn("turns", self._turn_loop)
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
        """The "answer now" shortcut: treat what the interviewer said so far as the question."""
        self._turn_inbox.put(AnswerNow())

    def _spawn(self, name: str, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=self._guarded, args=(name, target, *args), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _guarded(self, name: str, target: Callable[..., None], *args: object) -> None:
        try:
            target(*args)
        except Exception as exc:  # report, never die silently: the session and transcript are kept
            log.exception("live thread %s failed", name)
            self._emit(StageError(name, f"internal error: {exc!r}"))

    # --- audio ----------------------------------------------------------------------------------

    def _frame_callback(self, speaker: str, blocking: bool) -> Callable[[AudioFrame], None]:
        frames = self._frames[speaker]

        def on_frame(frame: AudioFrame) -> None:
            try:
                frames.put(frame, block=blocking)
            except queue.Full:
                self.dropped_frames[speaker] += 1

        return on_frame

    def _end_callback(self, event: SourceEnded) -> None:
        self._frames[event.source].put(event)  # blocking: the end must not be dropped

    def _segment_loop(self, speaker: str) -> None:
        segmenter, frames = self._segmenters[speaker], self._frames[speaker]
        next_tick = 0.0
        while True:
            event = frames.get()
            if speaker == INTERVIEWER and isinstance(event, AudioFrame):
                t_end = event.t_start_s + len(event.samples) / 16_000
                if t_end >= next_tick:
                    self._turn_inbox.put(Tick(t_end))
                    next_tick = t_end + TICK_EVERY_S
            for out in segmenter.process(event):
                self._transcription.put(out)
            if isinstance(event, SourceEnded):
                return

    # --- transcription --------------------------------------------------------------------------

    def _transcribe_loop(self) -> None:
        open_sources = set(self._frames)
        while open_sources:
            event = self._transcription.get()
            speaker = event.source if isinstance(event, SourceEnded) else event.speaker  # type: ignore[attr-defined]
            for out in self._transcribers[speaker].process(event):
                if isinstance(out, Transcript):
                    self._emit(out)
                self._turn_inbox.put(out)
            if isinstance(event, SourceEnded):
                open_sources.discard(event.source)

    # --- turns and answers ----------------------------------------------------------------------

    def _turn_loop(self) -> None:
        while len(self._ended) < len(self._frames):
            event = self._turn_inbox.get()
            if isinstance(event, SourceEnded):
                self._ended.add(event.source)
                self._emit(event)
                if event.source == INTERVIEWER:
                    event_iter: Iterator[Question] = self.turns.process(AnswerNow())
                    self._answer(event_iter)
                continue
            self._answer(self.turns.process(event))
        self.all_ended.set()

    def _answer(self, questions: Iterator[Question]) -> None:
        for question in questions:
            self._emit(question)
            self.answerer.on_question(question)

    def _emit(self, event: object) -> None:
        with self._sink_lock:
            self._user_sink(event)

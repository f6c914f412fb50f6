"""Every message that flows between stages (DESIGN.md, "The core, as stages and events").

Small frozen dataclasses. Each carries the id of the utterance or question it belongs to, so a
consumer can drop a late result for an old question. Units are in the field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

INTERVIEWER = "interviewer"  # system audio
CANDIDATE = "candidate"  # microphone


@dataclass(frozen=True)
class AudioFrame:
    """A block of 16 kHz mono float32 samples from one source."""

    source: str  # INTERVIEWER or CANDIDATE
    samples: np.ndarray = field(repr=False, compare=False)
    t_start_s: float  # position of the first sample in the source's own timeline


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech found by the segmenter; partial while the speaker is still talking."""

    utterance_id: int
    speaker: str
    samples: np.ndarray = field(repr=False, compare=False)
    t_start_s: float
    t_end_s: float
    is_final: bool


@dataclass(frozen=True)
class Transcript:
    utterance_id: int
    speaker: str
    text: str
    is_final: bool
    t_start_s: float
    t_end_s: float
    latency_ms: float


@dataclass(frozen=True)
class SpeechPaused:
    """The speaker paused for `short_pause_s`: `samples` is what the final will be if they stay quiet."""

    utterance_id: int
    speaker: str
    t_pause_s: float  # end of the last speech block: the final's t_end_s if speech does not resume
    # Not compared: `==` on arrays is elementwise (and raises on different lengths).
    samples: np.ndarray = field(repr=False, compare=False)
    t_start_s: float


@dataclass(frozen=True)
class Tick:
    """The audio clock advanced to `t_s` (seconds in the interviewer's timeline)."""

    t_s: float


@dataclass(frozen=True)
class AnswerNow:
    """The user asked for prompts now ("answer now" shortcut)."""


@dataclass(frozen=True)
class Question:
    """Interviewer text that reads as a question; `is_final` once the turn has ended.

    `text` is the question proper (what is classified, retrieved on and answered); `preamble` is
    what the interviewer said before it in the same turn (context, shown greyed), see
    copilot/pipeline/question_focus.py. `full_text` is the whole turn. A `revised` question is the same
    question (same id) after a second, full-window decode of its audio.
    """

    question_id: int
    text: str
    t_end_s: float
    is_final: bool = True
    audio: str | None = None  # the file it came from, in rehearsal
    preamble: str = ""
    utterance_ids: tuple[int, ...] = ()  # the interviewer's utterances it was heard in (live)
    revised: bool = False

    @property
    def full_text(self) -> str:
        return f"{self.preamble} {self.text}".strip()


@dataclass(frozen=True)
class QuestionRedecoded:
    """A finished question's audio decoded again on whisper's full window; `text` is the whole turn."""

    question: Question
    text: str


@dataclass(frozen=True)
class QuestionTyped:
    question: Question
    question_type: str
    confidence: float
    latency_ms: float

    @property
    def question_id(self) -> int:
        return self.question.question_id


@dataclass(frozen=True)
class Hit:
    """One retrieved card: a story, a topic or a framework, with the object the composer needs."""

    kind: str  # "story", "topic" or "framework"
    id: str
    title: str
    score: float
    item: Any = field(repr=False, compare=False)
    # Why it was chosen, for the card ("conflict, influence: Action"); "" when there is nothing to say.
    reason: str = field(default="", compare=False)


@dataclass(frozen=True)
class CardsReady:
    typed: QuestionTyped
    frameworks: tuple[Hit, ...]
    stories: tuple[Hit, ...]
    topics: tuple[Hit, ...]
    latency_ms: float

    @property
    def question_id(self) -> int:
        return self.typed.question_id


@dataclass(frozen=True)
class Bullets:
    """Cue bullets for a question. `source` is "composer" (instant, grounded) or "llm" (rewrite);
    `stage` is whose time `latency_ms` is: a rewrite that changed nothing ends with the composer's
    bullets after the model's seconds."""

    question_id: int
    bullets: tuple[str, ...]
    source: str
    done: bool
    latency_ms: float
    stage: str = "compose"  # or "generate"


@dataclass(frozen=True)
class SourceEnded:
    """An audio source stopped (end of file, device unplugged); the session goes on without it."""

    source: str
    reason: str


@dataclass(frozen=True)
class StageError:
    """A stage failed on one item; the message is meant for the user."""

    stage: str
    message: str
    question_id: int | None = None

"""Drills: N questions picked so the question types you answer worst come back most often.

No Qt and no models here: the plan, the score of one answer (from the AnswerFeedback of
copilot/practice/feedback.py), the per-type score book kept in the data folder, playing a question and
recording an answer. copilot/cli/drill.py wires them to the speech model and the classifier.

Weighting: each type's weight is WEIGHT_FLOOR + (1 - m), where m is the mean of its last
RECENT_SCORES scores (UNTRIED_MEAN for a type never drilled). A type at 0.2 is drawn (0.15 + 0.8) /
(0.15 + 0.1) = 3.8 times as often as one at 0.9; the floor keeps a mastered type from vanishing, so
it still gets checked now and then. Only recent scores count, so a type you have improved on fades.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from copilot.atomic import write_text_atomic
from copilot.audio import SAMPLE_RATE
from copilot.audio.decode import SUPPORTED_SUFFIXES
from copilot.audio.levels import rms_dbfs
from copilot.errors import UsageError
from copilot.pipeline.knowledge import BankQuestion
from copilot.wording import PACE_BAND_WPM

if TYPE_CHECKING:
    from copilot.practice.feedback import AnswerFeedback, Delivery

SCORES_FILE = "drill_scores.json"
RECENT_SCORES = 5  # the mean over the last few answers: recent enough to notice you improved
KEPT_SCORES = 20  # per type in the file; older ones no longer count for anything
UNTRIED_MEAN = 0.5  # a type never drilled sits in the middle: drawn more than a strong one, less than a weak one
WEIGHT_FLOOR = 0.15
# "other" is small talk and logistics: nothing to practise.
DRILL_TYPES = ("behavioral", "situational", "technical", "system_design", "coding", "motivation", "closing")

PACE_LOW_WPM, PACE_HIGH_WPM = PACE_BAND_WPM  # calm, followable speech: the band the feedback advises
PACE_FALLOFF_WPM = 40.0  # the pace score reaches 0 this far outside the band
FILLERS_OK_PER_MIN, FILLERS_BAD_PER_MIN = 2.0, 8.0


# --- questions and the plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class DrillQuestion:
    text: str
    question_type: str
    audio: Path | None = None  # the recording, when the drill runs from a folder of recordings


def bank_questions(
    bank: Iterable[BankQuestion], types: Sequence[str] = (), competencies: Sequence[str] = ()
) -> list[DrillQuestion]:
    """Questions from the bank, of the given types (all drill types when none) and, when competencies
    are given, only those whose wording asks about one of them (by the coverage keyword rules)."""
    from copilot.practice.coverage import competencies_in

    wanted = set(types or DRILL_TYPES)
    out = [DrillQuestion(q.text, q.label) for q in bank if q.label in wanted]
    if competencies:
        out = [q for q in out if set(competencies_in(q.text)) & set(competencies)]
    return out


def folder_questions(
    folder: Path, transcribe: Callable[[Path], str], classify: Callable[[str], str]
) -> list[DrillQuestion]:
    """Recorded questions: the text from a sidecar .txt beside each file when there is one (exact and
    instant), else transcribed; the type from the classifier."""
    out = []
    for audio in recordings_in(folder):
        sidecar = audio.with_suffix(".txt")
        text = sidecar.read_text(encoding="utf-8").strip() if sidecar.is_file() else transcribe(audio).strip()
        if text:
            out.append(DrillQuestion(text, classify(text), audio))
    return out


def drill_candidates(
    *,
    bank: Iterable[BankQuestion] = (),
    recordings: Path | None = None,
    types: Sequence[str] = (),
    competencies: Sequence[str] = (),
    transcribe: Callable[[Path], str] | None = None,
    classify: Callable[[str], str] | None = None,
) -> list[DrillQuestion]:
    """The questions a drill draws from: the recordings in a folder when one is given, else the bank;
    filtered by type and competency either way. Raises UsageError when none is left."""
    if recordings is not None:
        if transcribe is None or classify is None:
            raise ValueError("a recordings folder needs transcribe and classify")
        found = folder_questions(recordings, transcribe, classify)
        wanted = set(types or DRILL_TYPES)
        out = [q for q in found if q.question_type in wanted]
        if competencies:
            from copilot.practice.coverage import competencies_in

            out = [q for q in out if set(competencies_in(q.text)) & set(competencies)]
        where = f"the recordings in {recordings}"
    else:
        out = bank_questions(bank, types, competencies)
        where = "the question bank"
    if not out:
        raise UsageError(f"no question in {where} matches the types and competencies asked for")
    return out


def recordings_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def type_weights(means: dict[str, float], types: Iterable[str]) -> dict[str, float]:
    """The sampling weight per type (formula in the module docstring)."""
    return {t: WEIGHT_FLOOR + (1.0 - means.get(t, UNTRIED_MEAN)) for t in types}


@dataclass
class DrillPlan:
    questions: list[DrillQuestion]
    weights: dict[str, float] = field(default_factory=dict)  # the weights the types were drawn with

    @classmethod
    def sample(
        cls,
        candidates: Sequence[DrillQuestion],
        count: int,
        means: dict[str, float],
        seed: int | None = None,
        cover: Sequence[str] = (),
    ) -> DrillPlan:
        """`count` questions: each draw picks a type by weight, then an unused question of it at random.
        Fewer when the candidates run out. The same seed gives the same plan.

        `cover` are types the user asked for by name: each comes up at least once while the count allows
        (weak ones first), so ticking two types never yields a drill of only one."""
        rng = random.Random(seed)
        pool: dict[str, list[DrillQuestion]] = {}
        for q in candidates:
            pool.setdefault(q.question_type, []).append(q)
        weights = type_weights(means, pool)
        owed = [t for t in cover if t in pool]  # asked-for types not drawn yet
        picked: list[DrillQuestion] = []
        while len(picked) < count and pool:
            types = sorted(t for t in pool if t in owed) or sorted(pool)  # a fixed order: the seed alone decides
            kind = rng.choices(types, weights=[weights[t] for t in types])[0]
            if kind in owed:
                owed.remove(kind)
            picked.append(pool[kind].pop(rng.randrange(len(pool[kind]))))
            if not pool[kind]:
                del pool[kind]
        return cls(picked, weights)


# --- scoring --------------------------------------------------------------------------------------


def score_answer(feedback: AnswerFeedback) -> float:
    """0..1 for one answer: 60% what the framework for its type asks for, 40% delivery (pace, fillers).

    An empty answer scores 0. A type with no content checks (situational) is scored on delivery alone.
    """
    delivery = feedback.delivery
    if not feedback.transcript.strip() or not delivery.words:
        return 0.0
    content = content_score(feedback.question_type, feedback.checks)
    if content is not None and feedback.topic.off_topic:
        content /= 2  # every check can pass on a good story told for another question
    spoken = (pace_score(delivery.words_per_minute) + filler_score(delivery)) / 2
    total = spoken if content is None else 0.6 * content + 0.4 * spoken
    return round(min(1.0, max(0.0, total)), 3)


def content_score(question_type: str, checks: dict[str, Any]) -> float | None:
    """The share of the framework's checks heard; None when the type has none."""
    if question_type == "behavioral":
        parts = [checks.get(f"{p}_heard", False) for p in ("situation", "task", "action", "result")]
        # "I" over "we": the interviewer hires you, not the team. No pronoun at all does not count.
        i_over_we = checks.get("i_count", 0) > 0 and checks.get("i_count", 0) >= checks.get("we_count", 0)
        marks = [*parts, checks.get("number_stated", False), i_over_we, checks.get("star_in_order", False)]
        return sum(bool(m) for m in marks) / len(marks)
    if question_type == "closing":
        return min(checks.get("questions_asked", 0), 2) / 2  # two sharp questions is the advice
    flags = [v for v in checks.values() if isinstance(v, bool)]
    return sum(flags) / len(flags) if flags else None


def pace_score(wpm: float) -> float:
    """1 inside the pace band (130-160 words a minute), falling linearly to 0 at PACE_FALLOFF_WPM outside it."""
    off = max(PACE_LOW_WPM - wpm, wpm - PACE_HIGH_WPM, 0.0)
    return max(0.0, 1.0 - off / PACE_FALLOFF_WPM)


def filler_score(delivery: Delivery) -> float:
    rate = delivery.filler_rate_per_min
    span = FILLERS_BAD_PER_MIN - FILLERS_OK_PER_MIN
    return min(1.0, max(0.0, 1.0 - (rate - FILLERS_OK_PER_MIN) / span))


# --- the score book -------------------------------------------------------------------------------


class ScoreBook:
    """Recent scores per question type, in data_dir()/drill_scores.json.

    Decision on a damaged file: the drill goes on. A file that is not JSON at all is moved aside to
    drill_scores.json.corrupt (kept for the user, never deleted) and a fresh book starts, with a
    warning; in a readable file, an entry that is not a list of numbers is dropped alone and every
    other type, and any key we do not know, is kept.
    """

    def __init__(self, path: Path, warn: Callable[[str], None] | None = None) -> None:
        self.path = path
        self._warn = warn or _stderr
        self._data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"version": 1, "scores": {}}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            return self._set_aside(exc)
        data["scores"] = self._clean(data.get("scores"))
        return data

    def _set_aside(self, exc: Exception) -> dict[str, Any]:
        backup = self.path.with_name(self.path.name + ".corrupt")
        shutil.copyfile(self.path, backup)  # a copy: the original is replaced only on the next save
        self._warn(f"{self.path}: unreadable ({exc}); kept a copy at {backup} and started the scores afresh")
        return {"version": 1, "scores": {}}

    def _clean(self, scores: Any) -> dict[str, list[float]]:
        if not isinstance(scores, dict):
            if scores is not None:
                self._warn(f"{self.path}: 'scores' was not a table; started the scores afresh")
            return {}
        kept: dict[str, list[float]] = {}
        for kind, values in scores.items():
            if isinstance(values, list) and all(isinstance(v, int | float) and 0 <= v <= 1 for v in values):
                kept[kind] = [float(v) for v in values]
            else:
                self._warn(f"{self.path}: dropped the damaged scores for '{kind}'")
        return kept

    @classmethod
    def default(cls, warn: Callable[[str], None] | None = None) -> ScoreBook:
        """The user's own book: drill_scores.json in the data folder (the CLI and the app share it)."""
        from copilot.config import paths

        return cls(paths.data_dir() / SCORES_FILE, warn)

    def scores(self, question_type: str) -> list[float]:
        return list(self._data["scores"].get(question_type, []))

    def recent_mean(self, question_type: str) -> float | None:
        recent = self.scores(question_type)[-RECENT_SCORES:]
        return sum(recent) / len(recent) if recent else None

    def means(self) -> dict[str, float]:
        return {t: m for t in self._data["scores"] if (m := self.recent_mean(t)) is not None}

    def weakest(self, n: int = 2) -> list[str]:
        means = self.means()
        return sorted(means, key=lambda t: means[t])[:n]

    def weaker_types(self, n: int = 2) -> list[str]:
        """What a summary may call weakest: of the lowest `n`, those scoring below the best type. With one
        type drilled, or all alike, none is (the summary named the only type drilled as the weakest)."""
        means = self.means()
        best = max(means.values(), default=0.0)
        return [t for t in self.weakest(n) if means[t] < best]

    def add(self, question_type: str, score: float) -> None:
        kept = [*self.scores(question_type), round(float(score), 3)][-KEPT_SCORES:]
        self._data["scores"][question_type] = kept

    def save(self) -> None:
        write_text_atomic(self.path, json.dumps(self._data, indent=1, sort_keys=True) + "\n")


def _stderr(message: str) -> None:
    print(f"copilot: {message}", file=sys.stderr)


# --- one drill, question by question --------------------------------------------------------------

Assess = Callable[[DrillQuestion, np.ndarray], "AnswerFeedback"]


class HistoryRecord(Protocol):
    def record(self, kind: str, payload: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class DrillAnswer:
    """One answered question: its score and the feedback it came from."""

    index: int  # 1-based
    question: DrillQuestion
    score: float
    feedback: AnswerFeedback
    answer_audio: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON line `copilot drill --json` prints for it."""
        f = self.feedback.to_dict()
        return {
            "index": self.index,
            "question": self.question.text,
            "question_type": self.question.question_type,
            "question_audio": str(self.question.audio) if self.question.audio else None,
            "answer_audio": str(self.answer_audio) if self.answer_audio else None,
            "score": self.score,
            "transcript": f["transcript"],
            "suggestions": f["suggestions"],
            "checks": f["content"]["checks"],
            "delivery": f["delivery"],
        }


def assess_with(core: Any, transcriber: Any) -> Assess:
    """Feedback on an answer from the core (classifier, embedder, stories) and a word-timing transcriber."""
    from copilot.practice.feedback import answer_feedback

    def assess(question: DrillQuestion, samples: np.ndarray) -> AnswerFeedback:
        return answer_feedback(core, question.text, samples, transcriber, question_type=question.question_type)

    return assess


class DrillSession:
    """The drill loop, shared by `copilot drill` and the app's drill window.

    It holds the plan and walks through it: `current` is the question to ask, `answer(samples)`
    assesses the answer (through `assess`, usually copilot.practice.feedback.answer_feedback), scores it, adds
    the score to the book and saves the book at once (a drill stopped half-way still counts what was
    answered), records it to the history when given one, and moves on. No threads and no devices
    here: the caller plays the question and records the answer however suits it.
    """

    def __init__(self, plan: DrillPlan, book: ScoreBook, assess: Assess, history: HistoryRecord | None = None) -> None:
        if not plan.questions:
            raise UsageError("the drill has no questions")
        self.plan, self.book, self._assess, self._history = plan, book, assess, history
        self.results: list[DrillAnswer] = []

    @classmethod
    def start(
        cls,
        candidates: Sequence[DrillQuestion],
        count: int,
        book: ScoreBook,
        assess: Assess,
        history: HistoryRecord | None = None,
        seed: int | None = None,
        cover: Sequence[str] = (),
    ) -> DrillSession:
        """A drill of `count` questions drawn from `candidates`, the weak types (by the book) more often;
        each type in `cover` (the ones the user ticked) at least once while the count allows."""
        if count < 1:
            raise UsageError("a drill needs 1 question or more")
        return cls(DrillPlan.sample(candidates, count, book.means(), seed, cover), book, assess, history)

    @property
    def questions(self) -> list[DrillQuestion]:
        return self.plan.questions

    @property
    def total(self) -> int:
        return len(self.plan.questions)

    @property
    def index(self) -> int:
        """The 1-based number of the current question (total + 1 once the drill is done)."""
        return len(self.results) + 1

    @property
    def done(self) -> bool:
        return len(self.results) >= self.total

    @property
    def current(self) -> DrillQuestion | None:
        return None if self.done else self.plan.questions[len(self.results)]

    def answer(self, samples: np.ndarray, answer_audio: Path | None = None) -> DrillAnswer:
        """Assess and score the answer to the current question, save the score, and move on."""
        question = self.current
        if question is None:
            raise UsageError("the drill is over; start a new one")
        feedback = self._assess(question, samples)
        result = DrillAnswer(self.index, question, score_answer(feedback), feedback, answer_audio)
        self.book.add(question.question_type, result.score)
        self.book.save()
        if self._history is not None:
            self._history.record("question", {"question_id": result.index, "final": True, "text": question.text})
            self._history.record("feedback", {"question_id": result.index, "score": result.score, **feedback.to_dict()})
        self.results.append(result)
        return result

    def mean_by_type(self) -> dict[str, float]:
        """This drill's mean score per type, in the order the types were first asked."""
        per_type: dict[str, list[float]] = {}
        for r in self.results:
            per_type.setdefault(r.question.question_type, []).append(r.score)
        return {t: round(sum(v) / len(v), 3) for t, v in per_type.items()}

    def summary(self) -> DrillSummary:
        """This drill's means and the weakest types overall."""
        return DrillSummary(len(self.results), self.mean_by_type(), tuple(self.book.weaker_types()))


@dataclass(frozen=True)
class DrillSummary:
    questions: int  # answered in this drill
    mean_score_by_type: dict[str, float]  # this drill's, in the order the types were first asked
    weakest_types: tuple[str, ...]  # over recent drills, by the score book; only types below the best

    def to_dict(self) -> dict[str, Any]:
        """The summary line of `copilot drill --json`."""
        return {
            "summary": True,
            "questions": self.questions,
            "mean_score_by_type": dict(self.mean_score_by_type),
            "weakest_types": list(self.weakest_types),
        }


# --- playing the question -------------------------------------------------------------------------


def output_device_available(sd: Any) -> bool:
    try:
        return int(sd.query_devices(kind="output")["max_output_channels"]) > 0
    except Exception:  # sounddevice raises PortAudioError (or ValueError) when there is no output device
        return False


def play_question(question: DrillQuestion, say: Callable[[str], None] = print) -> str:
    """Play the recording, or speak the text with espeak-ng; say it in text when neither can be heard.
    Returns how it was played ("recording", "tts" or "text")."""
    try:
        from copilot.audio.devices import import_sounddevice

        sd = import_sounddevice()
    except Exception:  # no PortAudio library: nothing can be heard
        sd = None
    if sd is None or not output_device_available(sd):
        say(question.text)
        return "text"
    if question.audio is not None:
        from copilot.audio.decode import load_audio

        _play(sd, load_audio(question.audio))
        return "recording"
    spoken = synthesize(question.text)
    if spoken is None:
        say(question.text)
        return "text"
    _play(sd, spoken)
    return "tts"


def synthesize(text: str) -> np.ndarray | None:
    """The text spoken by espeak-ng at 150 words a minute, as 16 kHz samples; None without espeak-ng."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    from copilot.audio.decode import load_audio

    with tempfile.TemporaryDirectory(prefix="copilot-tts-") as tmp:
        wav = Path(tmp) / "question.wav"
        done = subprocess.run([exe, "-s", "150", "-w", str(wav), text], capture_output=True, timeout=60)
        return load_audio(wav) if done.returncode == 0 and wav.exists() else None


def _play(sd: Any, samples: np.ndarray) -> None:
    sd.play(samples, SAMPLE_RATE)
    sd.wait()


# --- recording the answer -------------------------------------------------------------------------


@dataclass
class AnswerRecorder:
    """Collects microphone frames until `silence_s` of quiet after some speech, or `max_s` in all.

    Speech is a frame louder than `speech_dbfs`: a crude gate, but it only has to tell a speaking
    candidate from a quiet room, and it works on any machine without the VAD model.
    """

    silence_s: float = 3.0  # longer than a thinking pause (feedback.py flags 1.5 s as long)
    max_s: float = 180.0  # three minutes is long for any single answer
    speech_dbfs: float = -40.0
    _chunks: list[np.ndarray] = field(default_factory=list)
    _heard_speech: bool = False
    _quiet_samples: int = 0

    def feed(self, samples: np.ndarray) -> bool:
        """Add one frame; True once the answer is over."""
        self._chunks.append(samples)
        if rms_dbfs(samples) > self.speech_dbfs:
            self._heard_speech, self._quiet_samples = True, 0
        elif self._heard_speech:
            self._quiet_samples += len(samples)
        total = sum(len(c) for c in self._chunks)
        return self._quiet_samples >= self.silence_s * SAMPLE_RATE or total >= self.max_s * SAMPLE_RATE

    def samples(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.float32)


def record_answer(recorder: AnswerRecorder, source: Any = None, stop: threading.Event | None = None) -> np.ndarray:
    """Record from `source` (the default microphone when None) until the recorder says the answer is
    over, or `stop` is set (the candidate pressed a key: no need to sit out the silence)."""
    from copilot.audio.sources import MicrophoneSource

    mic = source if source is not None else MicrophoneSource()
    done = stop if stop is not None else threading.Event()

    def on_frame(frame: Any) -> None:
        if not done.is_set() and recorder.feed(frame.samples):
            done.set()

    mic.start(on_frame, lambda _ended: done.set())
    try:
        done.wait(recorder.max_s + 5)
    finally:
        mic.stop()
    return recorder.samples()


def answer_file(folder: Path, index: int, question: DrillQuestion) -> Path:
    """answer<index>.<ext> (1-based), else a file named like the question's recording."""
    names = [f"answer{index}"] + ([question.audio.stem] if question.audio is not None else [])
    for name in names:
        for suffix in SUPPORTED_SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    raise UsageError(f"{folder}: no answer{index}.wav (or other audio) for question {index}")


def wait_briefly() -> None:
    """A short beat between the question and the mic opening, so the question's tail is not recorded."""
    time.sleep(0.3)

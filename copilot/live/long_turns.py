"""Long interviewer turns for the long-turn bench: 30-90 s of context, then the question.

Each turn is a script (sentences), a voice (espeak-ng or flite, at a rate), optional background
noise and an optional think-pause before a second question part. `build` synthesises them into
16 kHz wav files with a manifest (`turns.json`) holding the script, so the bench can score the
final question text against what was said. Sentence gaps are drawn from 0.25-0.45 s with a fixed
seed, so the files are the same on every machine with the same synthesisers.

Half the turns are marked "tune" (look at them while changing the live path) and half "report"
(quote only those): figures tuned on the material they are reported on would flatter us.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from copilot.atomic import write_bytes_atomic, write_text_atomic
from copilot.audio import SAMPLE_RATE
from copilot.audio.decode import load_audio
from copilot.errors import UserError

THINK_PAUSE_S = 1.2
LEAD_S, TAIL_S = 0.3, 0.3
MANIFEST = "turns.json"


@dataclass(frozen=True)
class Voice:
    engine: str  # "espeak-ng" or "flite"
    name: str  # espeak-ng voice (en-us, en-gb+f3) or flite voice (slt, awb, rms)
    rate_wpm: int = 160  # espeak-ng only

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.name}" + (f"@{self.rate_wpm}" if self.engine == "espeak-ng" else "")


@dataclass(frozen=True)
class LongTurn:
    turn_id: str
    voice: Voice
    preamble: tuple[str, ...]  # context: agenda, small talk, the scenario
    question: tuple[str, ...]  # the question proper (with its scenario, see copilot/pipeline/question_focus.py)
    question_type: str
    half: str  # "tune" or "report"
    second_part: tuple[str, ...] = ()  # asked after a think-pause
    noise_snr_db: float | None = None

    @property
    def script(self) -> str:
        return " ".join((*self.preamble, *self.question, *self.second_part))


US, GB = Voice("espeak-ng", "en-us", 150), Voice("espeak-ng", "en-gb", 175)
US_F = Voice("espeak-ng", "en-us+f3", 140)
SCOT = Voice("espeak-ng", "en-gb-scotland", 165)
SLT, AWB, RMS = Voice("flite", "slt"), Voice("flite", "awb"), Voice("flite", "rms")

AGENDA = (
    "Okay, thanks for that introduction.",
    "So just to give you a sense of how this hour is going to go, we will spend about forty minutes on one "
    "problem and leave some time for your questions at the end.",
)

_BASE: tuple[LongTurn, ...] = (
    LongTurn(
        "furniture-ranking",
        US,
        (
            "Okay, let us switch gears to the design portion of the interview.",
            *AGENDA[1:],
        ),
        (
            "We run a marketplace for second hand furniture with about eight million listings.",
            "Buyers search by text and by photo, and sellers upload pictures from their phones.",
            "Last quarter we shipped a new ranking model, and the offline metrics improved by a few points.",
            "But the click through rate in production went down, and the offline metrics are unchanged when we "
            "replay the logs.",
            "How would you investigate this drop, and what would you change so it does not happen again?",
        ),
        "situational",
        "tune",
    ),
    LongTurn(
        "feature-store",
        SLT,
        AGENDA,
        (
            "Our data scientists train models on features computed in nightly batch jobs.",
            "The same features are recomputed in the serving path by a different team, in a different language.",
            "Every few weeks a model behaves differently online than it did in training.",
            "How would you design a feature store that gives training and serving the same values?",
        ),
        "system_design",
        "report",
    ),
    LongTurn(
        "conflict-manager",
        GB,
        (
            "Great, thank you, that was really helpful.",
            "I would like to move on to some behavioral questions now.",
            "There are no right or wrong answers here, we just want to understand how you work with other "
            "people, and we will take notes as you talk.",
            "Please use a concrete example from your own experience rather than a general description.",
        ),
        ("Tell me about a time you disagreed with your manager about a technical decision, and how you resolved it.",),
        "behavioral",
        "tune",
    ),
    LongTurn(
        "video-recs",
        AWB,
        (
            "Alright, for the next part we will do a system design exercise.",
            "Feel free to draw on the whiteboard and ask me clarifying questions at any point.",
        ),
        (
            "Imagine a video streaming platform with about fifty million daily users.",
            "Users watch on phones and televisions, and most of them never search, they just scroll the home page.",
            "The catalog changes every day, and new videos get almost no views in their first week.",
            "How would you design the recommendation system for the home page?",
        ),
        "system_design",
        "report",
        noise_snr_db=20.0,
    ),
    LongTurn(
        "l1-l2",
        US_F,
        (
            "Thanks, that project sounds really interesting.",
            "We have about twenty minutes left, so I want to cover a few machine learning fundamentals before we "
            "get to your questions.",
            "These are short questions, so keep your answers brief and to the point.",
        ),
        ("What is the difference between L1 and L2 regularization, and when would you use each one?",),
        "technical",
        "tune",
        noise_snr_db=15.0,
    ),
    LongTurn(
        "cost-cut",
        RMS,
        (
            "Okay, let us talk about your last role for a few minutes.",
            "I saw on your resume that you worked on model serving for a large online retailer.",
            "We care a lot about efficiency here, because our inference bill grew faster than our revenue last year.",
        ),
        ("Tell me about a time you had to cut the cost of serving a model without hurting its quality.",),
        "behavioral",
        "report",
    ),
    LongTurn(
        "rate-limiter",
        SCOT,
        (
            "Right, thanks for walking me through that.",
            "For the coding part, we will use the shared editor, and you can pick any language you like.",
            "Please talk through your thinking as you go, that matters more to us than finishing.",
        ),
        (
            "Write a function that implements a rate limiter allowing at most one hundred requests per user in "
            "any sliding window of one minute.",
        ),
        "coding",
        "tune",
    ),
    LongTurn(
        "why-us",
        SLT,
        (
            "Great, we are nearly at the end of the technical part.",
            "Before we wrap up, I would like to learn a bit more about you and what you are looking for in your "
            "next role.",
            "Our team is small, and people here tend to own a problem from the first prototype all the way to "
            "production.",
        ),
        ("Why do you want to join our team, and what would you like to be working on in two years?",),
        "motivation",
        "report",
        noise_snr_db=18.0,
    ),
    LongTurn(
        "drift-two-part",
        US,
        (
            "Okay, now a scenario question.",
            "Say you own a fraud detection model at a payments company.",
            "It was trained a year ago, and it has been running in production ever since without any changes.",
            "Recently the share of transactions it flags has crept up week after week, but the number of "
            "confirmed fraud cases is flat.",
        ),
        ("How would you find out whether the model is drifting?",),
        "situational",
        "tune",
        second_part=("And once you know, how would you decide when to retrain it?",),
    ),
    LongTurn(
        "search-latency-two-part",
        AWB,
        (
            "Alright, let us switch gears to something more operational.",
            "Our product search answers in about eighty milliseconds at the median, but the slowest one percent "
            "of requests take more than two seconds.",
            "The slow requests come from all regions and all kinds of queries, and adding more machines did not help.",
        ),
        ("What would you measure first to understand these slow requests?",),
        "situational",
        "report",
        second_part=("And what changes to the system would you consider after that?",),
    ),
    LongTurn(
        "dropout",
        GB,
        (
            "Okay, thanks.",
            "I want to spend the next ten minutes on deep learning, since the role involves training large "
            "networks every day.",
            "We have had candidates with very different backgrounds, so do not worry if some of this is new to you.",
        ),
        ("Explain how dropout works, and why it helps a neural network generalize better.",),
        "technical",
        "tune",
        noise_snr_db=20.0,
    ),
    LongTurn(
        "failure",
        US_F,
        (
            "Good, let us move on to the last behavioral question.",
            "Everyone on this team has shipped something that did not work out, and we talk about it openly in "
            "our reviews.",
            "What we look for is how you noticed the problem and what you changed afterwards.",
        ),
        ("Tell me about a project that failed, and what you learned from it.",),
        "behavioral",
        "report",
    ),
    LongTurn(
        "closing",
        RMS,
        (
            "Alright, that is all I had on my list for today.",
            "Thank you for your time, you gave a lot of detail, and the team will get back to you within a week.",
            "The next step would be a conversation with the hiring manager about the team's roadmap.",
        ),
        ("Before we finish, do you have any questions for us?",),
        "closing",
        "tune",
        noise_snr_db=15.0,
    ),
    LongTurn(
        "dedup",
        SCOT,
        (
            "Okay, let us do one more design question before the break.",
            "We have a photo sharing app where people upload about thirty million images a day.",
            "A lot of them are near copies of each other, the same picture cropped, resized or with a filter on it.",
        ),
        ("How would you design a system that detects these near duplicate images at upload time?",),
        "system_design",
        "report",
    ),
)

# Context interviewers add before a question: the team, the ground rules, small talk.
CONTEXT = (
    "Before we start, let me tell you a little about the team, since it helps to know where this question comes from.",
    "We are about fifteen engineers, split between the data platform, the modelling group and a small "
    "infrastructure team.",
    "Most of our services run on Kubernetes in two regions, and we deploy several times a day.",
    "We try to keep these conversations close to the problems we really have, so some details may sound oddly "
    "specific.",
    "There is no single right answer, and I may push back on some of your choices to see how you reason about them.",
    "If anything is unclear, stop me and ask, that is part of the exercise.",
    "I will also take a few notes while you talk, so do not read anything into it if I look away.",
    "We had a long planning meeting about this topic last month, and people on the team disagreed quite a lot.",
    "The last candidate spent most of the time on the model, but I am just as interested in the data and the "
    "operations.",
    "I know it has been a long day of interviews for you, so feel free to take a moment before you answer.",
)
# Which context sentences each turn adds after its first sentence: turns of 30-90 s.
_EXTRA = {
    "furniture-ranking": (3, 8, 4),
    "feature-store": (0, 1, 2, 6, 8),
    "conflict-manager": (6, 9),
    "video-recs": (0, 2, 4, 5),
    "l1-l2": (7, 9),
    "cost-cut": (0, 1, 8),
    "rate-limiter": (5, 6, 9),
    "why-us": (0, 1, 2, 3, 7, 9),
    "drift-two-part": (4, 6),
    "search-latency-two-part": (2, 8, 5),
    "dropout": (1, 7, 9),
    "failure": (4, 7),
    "closing": (3, 7),
    "dedup": (0, 1, 4, 5),
}
TURNS = tuple(
    replace(t, preamble=(t.preamble[0], *(CONTEXT[i] for i in _EXTRA[t.turn_id]), *t.preamble[1:])) for t in _BASE
)


def synthesise(text: str, voice: Voice, folder: Path) -> np.ndarray:
    """One sentence as 16 kHz float32 samples, trimmed of the synthesiser's own silence."""
    path = folder / "sentence.wav"
    if voice.engine == "espeak-ng":
        command = ["espeak-ng", "-v", voice.name, "-s", str(voice.rate_wpm), "-w", str(path), text]
    else:
        command = ["flite", "-voice", voice.name, "-t", text, "-o", str(path)]
    if not shutil.which(command[0]):
        raise UserError(f"{command[0]} is needed to build the long turns: apt install espeak-ng flite")
    subprocess.run(command, check=True, capture_output=True)
    return _trim(load_audio(path))


def _trim(samples: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > floor)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples


def assemble(turn: LongTurn, folder: Path, rng: np.random.Generator) -> np.ndarray:
    """The turn's audio: its sentences with natural gaps, the think-pause, the noise."""
    pieces = [np.zeros(round(LEAD_S * SAMPLE_RATE), np.float32)]
    sentences = [*turn.preamble, *turn.question]
    for number, sentence in enumerate([*sentences, *turn.second_part]):
        if number:
            gap = THINK_PAUSE_S if number == len(sentences) else rng.uniform(0.25, 0.45)
            pieces.append(np.zeros(round(gap * SAMPLE_RATE), np.float32))
        pieces.append(synthesise(sentence, turn.voice, folder))
    pieces.append(np.zeros(round(TAIL_S * SAMPLE_RATE), np.float32))
    audio = np.concatenate(pieces)
    audio *= 0.5 / max(float(np.abs(audio).max()), 1e-6)
    if turn.noise_snr_db is not None:
        audio = audio + _noise(audio, turn.noise_snr_db, rng)
    return np.clip(audio, -1.0, 1.0).astype(np.float32)


def _noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Room-like background: white noise through a gentle low-pass (a one-pole filter), at `snr_db`
    below the speech's level, everywhere (pauses too, as in a real call)."""
    white = rng.standard_normal(audio.size).astype(np.float32)
    brown = np.convolve(white, 0.95 ** np.arange(128, dtype=np.float32))[: audio.size]  # the filter's response
    speech_rms = float(np.sqrt(np.mean(audio[np.abs(audio) > 1e-3] ** 2)))
    noise_rms = float(np.sqrt(np.mean(brown**2)))
    return brown * (speech_rms / noise_rms) * 10 ** (-snr_db / 20)


def build(out: Path, turns: tuple[LongTurn, ...] = TURNS, seed: int = 12) -> Path:
    """Synthesise every turn into `out` (wav files and the manifest); returns the manifest path."""
    import soundfile

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for turn in turns:
            audio = assemble(turn, Path(tmp), rng)
            path = out / f"{turn.turn_id}.wav"
            data = io.BytesIO()
            soundfile.write(data, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
            write_bytes_atomic(path, data.getvalue())
            records.append(
                {
                    **{k: v for k, v in asdict(turn).items() if k != "voice"},
                    "voice": turn.voice.label,
                    "file": path.name,
                    "script": turn.script,
                    "duration_s": round(audio.size / SAMPLE_RATE, 2),
                }
            )
    manifest = out / MANIFEST
    write_text_atomic(manifest, json.dumps(records, indent=1))
    return manifest


def load_manifest(folder: Path) -> list[dict]:
    path = folder / MANIFEST
    try:
        return list(json.loads(path.read_text()))
    except FileNotFoundError:
        raise UserError(f"{path}: no long-turn manifest; build it with scripts/make_long_turns.py {folder}") from None
    except (json.JSONDecodeError, TypeError) as exc:
        raise UserError(f"{path}: not a long-turn manifest ({exc}); build it again") from exc

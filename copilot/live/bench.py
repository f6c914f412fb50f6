"""`copilot bench`: the live path on recorded interview turns, paced in real time like a device.

Speech end is found offline in each file (the end of the last non-silent stretch). Every latency is
wall time after the moment that sample was fed to the pipeline; negative means before speech end.
Targets (issue 3, 2 cores, default models): cards_ms <= 0 p50 and <= 300 p95, first_bullet_ms <= 500
p50, question_detected_ms <= 700 p50, partial_lag_ms <= 1000 p50, no dropped frames.
"""

from __future__ import annotations

import bisect
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from copilot.audio import SAMPLE_RATE
from copilot.audio.decode import load_audio
from copilot.audio.sources import AudioSource, FileSource
from copilot.composition import Core
from copilot.errors import UserError
from copilot.events import CANDIDATE, INTERVIEWER, AudioFrame, Bullets, CardsReady, Question, SourceEnded, Transcript
from copilot.live.wiring import open_live_session

LEAD_SILENCE_S = 0.5
TAIL_SILENCE_S = 3.0  # long enough for the pause, the merge window and the final decode
DEFAULT_TURNS = [
    "Thanks, that was helpful. Let's move on. Tell me about a time you had to cut the cost of serving a model.",
    "Okay, now a more technical one. What is the difference between L1 and L2 regularization?",
    "Great. For the next part, how would you design a recommendation system for a video streaming platform?",
    "Alright. Your offline metrics improved but the A B test shows no lift. What would you check first?",
    "We are nearly out of time. Do you have any questions for us?",
]
METRICS = ("question_detected_ms", "cards_ms", "first_bullet_ms", "bullets_done_ms", "partial_lag_ms")


def speech_end_s(samples: np.ndarray, window_s: float = 0.02, floor_dbfs: float = -40.0) -> float:
    """End of the last window louder than `floor_dbfs` (or 30 dB under the peak, if that is higher)."""
    size = int(window_s * SAMPLE_RATE)
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    rms_db = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-10)
    threshold = max(floor_dbfs, rms_db.max() - 30.0)
    loud = np.flatnonzero(rms_db > threshold)
    return float((loud[-1] + 1) * window_s) if loud.size else 0.0


class TimedSource:
    """Wraps a source to note the wall time at which each block's last sample was fed."""

    def __init__(self, inner: AudioSource) -> None:
        self._inner = inner
        self.speaker, self.description = inner.speaker, inner.description
        self.fed_t_s: list[float] = []
        self.fed_wall: list[float] = []

    def start(self, on_frame: Callable[[AudioFrame], None], on_end: Callable[[SourceEnded], None]) -> None:
        def timed(frame: AudioFrame) -> None:
            self.fed_t_s.append(frame.t_start_s + len(frame.samples) / SAMPLE_RATE)
            self.fed_wall.append(time.perf_counter())
            on_frame(frame)

        self._inner.start(timed, on_end)

    def stop(self) -> None:
        self._inner.stop()

    @property
    def dropped_blocks(self) -> int:
        return self._inner.dropped_blocks

    def wall_at(self, t_s: float) -> float:
        index = min(bisect.bisect_left(self.fed_t_s, t_s), len(self.fed_wall) - 1)
        return self.fed_wall[index]


@dataclass
class _Recorder:
    events: list[tuple[float, object]]
    done: threading.Event

    def __call__(self, event: object) -> None:
        self.events.append((time.perf_counter(), event))


def run_turn(
    core: Core, path: Path, timeout_s: float = 120.0, with_microphone: bool = False, tail_s: float = TAIL_SILENCE_S
) -> dict[str, Any]:
    """One recorded turn through the live path in real time. `with_microphone` adds a second, quiet
    source (room noise at -60 dBFS), so the candidate's VAD runs too, as in a real session."""
    samples = load_audio(path)
    end_s = LEAD_SILENCE_S + speech_end_s(samples)
    source = TimedSource(
        FileSource(path, INTERVIEWER, realtime=True, lead_silence_s=LEAD_SILENCE_S, tail_silence_s=tail_s)
    )
    sources: list[AudioSource] = [source]
    if with_microphone:
        quiet = np.random.default_rng(0).standard_normal(samples.size).astype(np.float32) * 1e-3
        sources.append(
            FileSource.from_samples(
                quiet, CANDIDATE, realtime=True, lead_silence_s=LEAD_SILENCE_S, tail_silence_s=tail_s
            )
        )
    recorder = _Recorder([], threading.Event())
    session = open_live_session(core, lambda: sources, recorder)  # as `copilot listen` and the app open one
    finished = session.all_ended.wait(timeout_s) and _wait_for_done(recorder, timeout_s)
    session.stop()
    row = _measure(recorder.events, source, end_s)
    row.update(audio=str(path), speech_end_s=round(end_s - LEAD_SILENCE_S, 2), completed=finished)
    row["dropped_frames"] = sum(session.dropped_frames.values())
    return row


def _wait_for_done(recorder: _Recorder, timeout_s: float) -> bool:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        finals = [e for _, e in recorder.events if isinstance(e, Question) and e.is_final]
        if finals and any(
            isinstance(e, Bullets) and e.done and e.question_id == finals[-1].question_id for _, e in recorder.events
        ):
            return True
        time.sleep(0.05)
    return False


def _measure(events: list[tuple[float, object]], source: TimedSource, end_s: float) -> dict[str, Any]:
    end_wall = source.wall_at(end_s)

    def ms(wall: float | None) -> float | None:
        return None if wall is None else round((wall - end_wall) * 1000.0, 1)

    # The detection is the last question as first heard; a revision (second decode) comes later.
    finals = [(w, e) for w, e in events if isinstance(e, Question) and e.is_final and not e.revised]
    if not finals:
        return {"transcript": "", "question_type": None, **{m: None for m in METRICS}}
    q_wall, question = finals[-1]
    revisions = [
        (w, e) for w, e in events if isinstance(e, Question) and e.revised and e.question_id == question.question_id
    ]
    # Cards and drafts as the question ended; a second decode that changes them comes later, apart.
    revised_wall = revisions[0][0] if revisions else float("inf")
    ours = [(w, e) for w, e in events if getattr(e, "question_id", None) == question.question_id]
    cards = [(w, e) for w, e in ours if isinstance(e, CardsReady) and w < revised_wall]
    drafts = [(w, e) for w, e in ours if isinstance(e, Bullets) and w < revised_wall]
    recarded = [w for w, e in ours if isinstance(e, CardsReady) and w >= revised_wall]
    done = [w for w, e in ours if isinstance(e, Bullets) and e.done]
    last_cards_wall = cards[-1][0] if cards else None
    first_bullet = next((w for w, _ in drafts if last_cards_wall is not None and w >= last_cards_wall), None)
    lags = [
        (w - source.wall_at(e.t_end_s)) * 1000.0
        for w, e in events
        if isinstance(e, Transcript) and not e.is_final and e.speaker == INTERVIEWER
    ]
    return {
        "transcript": question.full_text,
        "question": question.text,
        "revised_transcript": revisions[-1][1].full_text if revisions else None,
        "revision_ms": ms(revised_wall) if revisions else None,
        "revision_changed_cards": bool(recarded),
        "question_type": cards[-1][1].typed.question_type if cards else None,
        "question_detected_ms": ms(q_wall),
        "cards_ms": ms(last_cards_wall),
        "first_bullet_ms": ms(first_bullet),
        "bullets_done_ms": ms(done[-1] if done else None),
        "partial_lag_ms": round(float(np.median(lags)), 1) if lags else None,
    }


def default_turns(folder: Path) -> list[Path]:
    if not shutil.which("espeak-ng"):
        raise UserError("bench needs recordings: give --audio FILE..., or install espeak-ng to make them")
    paths = []
    for number, text in enumerate(DEFAULT_TURNS):
        path = folder / f"turn{number}.wav"
        subprocess.run(["espeak-ng", "-s", "160", "-w", str(path), text], check=True, capture_output=True)
        paths.append(path)
    return paths


def summary(rows: list[dict[str, Any]], metrics: tuple[str, ...] = METRICS) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": True, "runs": len(rows), "completed": sum(bool(r["completed"]) for r in rows)}
    for metric in metrics:
        values = [r[metric] for r in rows if r.get(metric) is not None]
        digits = 1 if metric.endswith("_ms") else 3  # milliseconds, or rates
        out[f"{metric}_p50"] = round(float(np.percentile(values, 50)), digits) if values else None
        out[f"{metric}_p95"] = round(float(np.percentile(values, 95)), digits) if values else None
        if not metric.endswith("_ms"):
            out[f"{metric}_mean"] = round(float(np.mean(values)), 3) if values else None
    out["dropped_frames"] = sum(r["dropped_frames"] for r in rows)
    return out


def bench(core: Core, audio: list[Path], runs: int, emit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = audio or default_turns(Path(tmp))
        rows = []
        for run in range(runs):
            for path in paths:
                row = run_turn(core, path)
                row["run"] = run
                emit(row)
                rows.append(row)
    result = summary(rows)
    emit(result)
    return result


# --- the long-turn bench (issue 12) -----------------------------------------------------------------


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance between the word sequences over the reference's length."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1] / max(len(ref), 1)


def repeated_ngram_rate(text: str, n: int = 4) -> float:
    """Share of the text's word n-grams that already occurred earlier in it: the mark of partial
    guesses strung together ("so just to give you a sense of so just to give you a sense of...")."""
    words = words_of(text)
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


def full_window_text(core: Core, samples: np.ndarray) -> str:
    """The reference decode: one plain faster-whisper transcription of the whole file (its own 30 s
    windows, greedy, as `copilot rehearse` did before it cut long audio in pauses)."""
    if core.transcriber is None:
        raise UserError("the long-turn bench needs the speech model")
    return core.transcriber.reference_text(samples)


LONG_METRICS = (*METRICS, "wer", "wer_full_window", "wer_revised", "repeated_4gram_rate")


def long_bench(
    core: Core, folder: Path, runs: int, emit: Callable[[dict[str, Any]], None], halves: tuple[str, ...] = ("report",)
) -> dict[str, Any]:
    """Every turn of the manifest in `folder` (see copilot/live/long_turns.py) through the live
    path with both sources running; per-turn rows and a summary per half."""
    from copilot.live.long_turns import load_manifest

    records = [r for r in load_manifest(folder) if r["half"] in halves]
    if not records:
        raise UserError(f"{folder}: no turns in the halves {', '.join(halves)}")
    baselines = {r["file"]: full_window_text(core, load_audio(folder / r["file"])) for r in records}
    rows = []
    for run in range(runs):
        for record in records:
            # A longer tail: the second decode of a long turn runs after the merge window.
            row = run_turn(core, folder / record["file"], timeout_s=240.0, with_microphone=True, tail_s=6.0)
            script = record["script"]
            row.update(
                run=run,
                turn=record["turn_id"],
                half=record["half"],
                voice=record["voice"],
                duration_s=record["duration_s"],
                expected_type=record["question_type"],
                wer=round(word_error_rate(script, row["transcript"] or ""), 3),
                wer_full_window=round(word_error_rate(script, baselines[record["file"]]), 3),
                # What is on screen in the end: the first text stands when the second pass heard the same words.
                wer_revised=round(word_error_rate(script, row["revised_transcript"] or row["transcript"] or ""), 3),
                repeated_4gram_rate=round(repeated_ngram_rate(row["transcript"] or ""), 3),
            )
            emit(row)
            rows.append(row)
    result = summary(rows, LONG_METRICS)
    result["type_correct"] = sum(r["question_type"] == r["expected_type"] for r in rows)
    result["halves"] = list(halves)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    emit(result)
    return result

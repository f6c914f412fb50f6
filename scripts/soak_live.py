"""A live soak: `copilot listen --file` on a long interviewer track, paced in real time, with its RSS
sampled every few seconds (issue 13: "a 30-minute live soak holds RSS growth under 10%").

    python scripts/soak_live.py                      # 30 minutes of questions (30+ min of wall time)
    python scripts/soak_live.py --minutes 2          # the short version the test runs
    python scripts/soak_live.py --silence --minutes 20   # a quiet room: memory must stay bounded

The track is made here, reproducibly from --seed: questions from the shipped question bank, each
spoken once by espeak-ng or flite at one of several rates, with silence and a little noise between
them. The live path is driven as a user runs it (a subprocess), never through the live internals, so
the figure is the app's own. The report (JSON) holds the RSS at 1 minute, at the end and at its peak,
the growth, the questions asked and answered, how far the live path fell behind real time, and every
error. Exit 1 if RSS grew by 10% or more, a question was lost, or the run failed.

RSS is read from /proc (psutil when installed), summed over the process and its children.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
QUESTION_BANK = REPO / "copilot" / "pipeline" / "knowledge" / "question_bank.tsv"
EXAMPLE_STORIES = REPO / "personal_stories"
SR = 16_000
GROWTH_LIMIT_PCT = 10.0
BASELINE_S = 60.0  # RSS "at 1 minute": the whole path (models, index, first question) is warm by then
LISTEN_TAIL_S = 3.0  # `listen --file` plays this much silence after the file, so its last turn can end
WINDOW_S = 30.0  # the RSS at a moment is the median of this many seconds of samples
# A detected question found in a spoken question's stretch of audio must hold this share of its
# content words: low, because the place already says which question it is, and the synthetic voices
# are misheard ("walk me from an assash meat-est" for "walk me through an A/B test").
MATCH_RECALL = 0.3
MATCH_EARLY_S = 1.0  # an utterance may start a little before the speech (the VAD's pre-roll)

# Several voices and rates, so the transcriber and the turn detector see more than one speaker.
VOICES = (
    ("espeak-ng", "en-us", 135),
    ("espeak-ng", "en-us", 160),
    ("espeak-ng", "en-us", 185),
    ("espeak-ng", "en-gb", 150),
    ("flite", "kal16", 100),  # flite's rate is a duration stretch in percent
    ("flite", "slt", 85),
)


# --- the track ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpokenQuestion:
    text: str
    voice: str
    t_start_s: float
    t_end_s: float


@dataclass(frozen=True)
class Track:
    samples: np.ndarray
    questions: tuple[SpokenQuestion, ...]

    @property
    def duration_s(self) -> float:
        return self.samples.size / SR


def bank_questions(path: Path = QUESTION_BANK) -> list[str]:
    """The bank's interview questions (not its small talk, "other") of a length a live interviewer
    asks in one breath (6 to 30 words)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        texts = [row["text"].strip() for row in rows if row["label"] != "other"]
    return [t for t in texts if 6 <= len(t.split()) <= 30]


def speech_command(voice: tuple[str, str, int], text: str, out: Path) -> list[str]:
    engine, name, rate = voice
    if engine == "espeak-ng":
        return ["espeak-ng", "-v", name, "-s", str(rate), "-w", str(out), text]
    return ["flite", "-voice", name, "--setf", f"duration_stretch={rate / 100}", "-t", text, "-o", str(out)]


def synthesise(text: str, voice: tuple[str, str, int], cache: Path) -> np.ndarray:
    """16 kHz mono float32 speech, cached by text and voice so a rebuild is quick."""
    key = hashlib.sha256("|".join(map(str, (*voice, text))).encode()).hexdigest()[:20]
    raw = cache / f"{key}.s16"
    if not raw.exists():
        cache.mkdir(parents=True, exist_ok=True)
        # Private names, renamed into place at the end: two soaks building at once never read half a
        # file. sox -D: no dither, which is random, so a seed gives the same track to the last sample.
        spoken, partial = cache / f"{key}.{os.getpid()}.wav", cache / f"{key}.{os.getpid()}.s16"
        subprocess.run(speech_command(voice, text, spoken), check=True, capture_output=True)
        subprocess.run(
            ["sox", "-D", str(spoken), "-t", "raw", "-r", str(SR), "-c", "1", "-b", "16", "-e", "signed", str(partial)],
            check=True,
            capture_output=True,
        )
        spoken.unlink()
        partial.replace(raw)
    return np.frombuffer(raw.read_bytes(), dtype="<i2").astype(np.float32) / 32768.0


def available_voices() -> tuple[tuple[str, str, int], ...]:
    voices = tuple(v for v in VOICES if shutil.which(v[0]))
    if not voices or not shutil.which("sox"):
        raise SystemExit("soak_live: espeak-ng or flite, and sox, are needed (apt install espeak-ng flite sox)")
    return voices


def hiss(rng: np.random.Generator, size: int) -> np.ndarray:
    """A faint room hiss (about -54 dBFS), under the speech and in every pause."""
    return rng.normal(0.0, 0.002, size).astype(np.float32)


def gap(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Silence as a room has it: the hiss, and now and then a louder burst (a fan, a keyboard) that
    is not speech and must not become a question."""
    room = hiss(rng, int(seconds * SR))
    if seconds > 6 and rng.random() < 0.3:
        length = int(rng.uniform(0.5, 2.0) * SR)
        at = int(rng.uniform(1.0, seconds - 3.0) * SR)
        room[at : at + length] += rng.normal(0.0, 0.02, length).astype(np.float32)
    return room


def build_track(minutes: float, seed: int, cache: Path) -> Track:
    """Questions in a seeded random order, 6 to 18 s apart (the candidate's answer is on the other
    channel), until the track is `minutes` long; none is asked twice."""
    rng = np.random.default_rng(seed)
    texts = bank_questions()
    order = rng.permutation(len(texts))
    voices = available_voices()
    target = int(minutes * 60 * SR)
    pieces, spoken, at = [gap(rng, 3.0)], [], 3 * SR
    for index in order:
        voice = voices[int(rng.integers(len(voices)))]
        speech = synthesise(texts[index], voice, cache)
        pause = gap(rng, float(rng.uniform(6.0, 18.0)))
        if at + speech.size + pause.size > target:
            break
        pieces.append(speech + hiss(rng, speech.size))
        spoken.append(
            SpokenQuestion(texts[index], f"{voice[0]}:{voice[1]}:{voice[2]}", at / SR, (at + speech.size) / SR)
        )
        pieces.append(pause)
        at += speech.size + pause.size
    pieces.append(gap(rng, max(0.0, (target - at) / SR)))
    return Track(np.clip(np.concatenate(pieces), -1.0, 1.0), tuple(spoken))


def silent_track(minutes: float, seed: int) -> Track:
    """A quiet room for `minutes`: the hiss and the odd burst, nobody speaking. (Digital silence is
    refused before the live path starts, "contains only silence", so it would measure nothing.)"""
    rng = np.random.default_rng(seed)
    target = int(minutes * 60 * SR)
    pieces, size = [], 0
    while size < target:
        pieces.append(gap(rng, float(rng.uniform(6.0, 18.0))))
        size += pieces[-1].size
    return Track(np.concatenate(pieces)[:target], ())


def write_wav(samples: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SR)
        out.writeframes(pcm.tobytes())


# --- memory ---------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue  # a thread that ended while we looked
    return found


def _own_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0  # a zombie has no VmRSS line


def tree_rss_mb(pid: int) -> float:
    """The resident memory of a process and all its descendants, in MB (10^6 bytes)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 1e6
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total_kb += _own_rss_kb(current)
        except OSError:
            continue  # it ended between the listing and the read
        pending += _children(current)
    return total_kb * 1024 / 1e6


# --- one run --------------------------------------------------------------------------------------


@dataclass
class Run:
    """What the live process said and how big it was, with wall times from the moment it listened."""

    started: float = field(default_factory=time.monotonic)
    listening_at: float | None = None
    events: list[tuple[float, dict]] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds since listening, MB)
    returncode: int | None = None
    timed_out: bool = False

    def ended_at(self) -> float | None:
        """When the file's end reached the live path (seconds since it listened), if it did."""
        return next((t for t, e in self.events if e.get("event") == "source_ended"), None)

    def since_listening(self) -> float:
        return time.monotonic() - (self.listening_at if self.listening_at is not None else self.started)


def _read_events(stream, run: Run) -> None:
    for line in stream:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            run.stderr.append(f"(stdout, not JSON) {line.rstrip()}")
            continue
        run.events.append((run.since_listening(), event))
        if event.get("event") in ("question", "source_ended", "error") and event.get("final", True):
            # progress for a long run: what was heard, and when (wall seconds since it listened)
            print(f"soak: {run.since_listening():7.1f} s {event['event']}: {event.get('text', '')}", file=sys.stderr)


def _read_stderr(stream, run: Run) -> None:
    for line in stream:
        if run.listening_at is None and "listening" in line:
            run.listening_at = time.monotonic()
        run.stderr.append(line.rstrip())


def private_env(home: Path) -> dict[str, str]:
    """Folders of its own, so the soak never touches a real library, index or history, and never
    clashes with another copilot on the same data folder."""
    env = dict(os.environ)
    for name, sub in (("COPILOT_CONFIG_DIR", "config"), ("COPILOT_DATA_DIR", "data"), ("COPILOT_CACHE_DIR", "cache")):
        env[name] = str(home / sub)
    env["COPILOT_HISTORY_KEY_FILE"] = str(home / "history.key")  # no OS keychain needed
    env.pop("COPILOT_STORIES_DIR", None)
    return env


def run_listen(audio: Path, stories: Path, home: Path, sample_s: float, timeout_s: float, llm: bool) -> Run:
    command = [sys.executable, "-m", "copilot", "listen", "--file", str(audio), "--stories", str(stories), "--json"]
    if not llm:
        command.append("--no-llm")
    run = Run()
    proc = subprocess.Popen(
        command, cwd=REPO, env=private_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    readers = [
        threading.Thread(target=_read_events, args=(proc.stdout, run), daemon=True),
        threading.Thread(target=_read_stderr, args=(proc.stderr, run), daemon=True),
    ]
    for reader in readers:
        reader.start()
    _sample_until_exit(proc, run, sample_s, timeout_s)
    for reader in readers:
        reader.join(10.0)
    return run


def _sample_until_exit(proc: subprocess.Popen, run: Run, sample_s: float, timeout_s: float) -> None:
    next_sample = time.monotonic()
    while proc.poll() is None:
        if time.monotonic() - run.started > timeout_s:
            run.timed_out = True
            proc.kill()
            break
        if time.monotonic() >= next_sample:
            if run.listening_at is not None:  # before that it is loading models, not listening
                _sample(proc.pid, run)
            next_sample += sample_s
        time.sleep(0.2)
    run.returncode = proc.wait()


def _sample(pid: int, run: Run) -> None:
    try:
        run.rss.append((round(run.since_listening(), 1), round(tree_rss_mb(pid), 1)))
    except (OSError, ProcessLookupError):
        pass  # it exited between poll() and the read


# --- the report -----------------------------------------------------------------------------------


def content_words(text: str) -> set[str]:
    """Words of four letters or more: what survives a transcriber's small slips."""
    return {w for w in re.findall(r"[a-z']+", text.lower()) if len(w) >= 4}


def recall(spoken: str, heard: str) -> float:
    wanted = content_words(spoken)
    return len(wanted & content_words(heard)) / len(wanted) if wanted else 0.0


@dataclass
class Detected:
    """One detected question: its latest final text (with the preamble), and where in the audio the
    utterance that opened it began."""

    text: str
    audio_s: float


def detected_questions(events: list[dict]) -> dict[int, Detected]:
    found: dict[int, Detected] = {}
    started: dict[int, float] = {}  # question id -> the start of the transcript just before it
    utterance_start = 0.0
    for e in events:
        if e.get("event") == "transcript":
            utterance_start = e["t_start_s"]
        elif e.get("event") == "question":
            started.setdefault(e["question_id"], utterance_start)
            if e.get("final"):
                text = f"{e.get('preamble', '')} {e['text']}".strip()
                found[e["question_id"]] = Detected(text, started[e["question_id"]])
    return found


def match_questions(track: Track, events: list[dict]) -> dict:
    """Each spoken question against the questions detected in its stretch of audio (from it to the
    next one): detected if one holds enough of its words, answered if that one's bullets were done.
    By time first, so a question misheard here and there is still found, and never credited with
    another question's detection; what is left over was heard where nobody asked anything."""
    detected = detected_questions(events)
    answered_ids = {e["question_id"] for e in events if e.get("event") == "bullets" and e.get("done")}
    starts = [q.t_start_s - MATCH_EARLY_S for q in track.questions] + [float("inf")]
    matched_ids, lost, unanswered, recalls = set(), [], [], []
    for question, start, end in zip(track.questions, starts, starts[1:], strict=False):
        here = [qid for qid, d in detected.items() if start <= d.audio_s < end and qid not in matched_ids]
        best = max(here, key=lambda qid: recall(question.text, detected[qid].text), default=None)
        if best is None or recall(question.text, detected[best].text) < MATCH_RECALL:
            lost.append(question.text)
            continue
        matched_ids.add(best)
        recalls.append(recall(question.text, detected[best].text))
        if best not in answered_ids:
            unanswered.append(question.text)
    return {
        "asked": len(track.questions),
        "detected": len(track.questions) - len(lost),
        "answered": len(track.questions) - len(lost) - len(unanswered),
        "lost": lost,
        "detected_unanswered": unanswered,
        "extra_detected": sorted(detected[q].text for q in set(detected) - matched_ids),
        "word_recall_mean": round(float(np.mean(recalls)), 3) if recalls else None,
    }


def _median(values: list[float]) -> float | None:
    return round(float(np.median(values)), 1) if values else None


def rss_summary(samples: list[tuple[float, float]], ended_at: float | None) -> dict:
    """RSS at 1 minute and at the end, each the median of a 30 s window (one sample swings by some
    50 MB with the transcriber's buffers), and the growth between them. The end is the last 30 s
    before the audio ended: after that the process is shutting down and frees its models."""
    if not samples:
        return {"at_1min_mb": None, "end_mb": None, "peak_mb": None, "growth_pct": None, "samples": 0}
    ended_at = samples[-1][0] if ended_at is None else ended_at
    baseline = _median([mb for t, mb in samples if BASELINE_S <= t < BASELINE_S + WINDOW_S])
    end = _median([mb for t, mb in samples if ended_at - WINDOW_S <= t <= ended_at])
    peak = max(mb for _t, mb in samples)
    growth = None if baseline is None or end is None else round((end - baseline) / baseline * 100, 2)
    return {
        "at_1min_mb": baseline,
        "end_mb": end,
        "peak_mb": peak,
        "growth_pct": growth,
        "peak_growth_pct": None if baseline is None else round((peak - baseline) / baseline * 100, 2),
        "samples": len(samples),
    }


def lag_summary(track: Track, run: Run) -> dict:
    """How far behind real time the live path ran: the end of the file came `behind_s` late, and a
    final transcript arrived `transcript_lag_s` after the audio it covers was played."""
    ended = run.ended_at()
    lags = [t - e["t_end_s"] for t, e in run.events if e.get("event") == "transcript" and e.get("final")]
    return {
        "audio_s": round(track.duration_s, 1),
        "behind_s": None if ended is None else round(ended - track.duration_s - LISTEN_TAIL_S, 1),
        "transcript_lag_p50_s": round(float(np.median(lags)), 2) if lags else None,
        "transcript_lag_max_s": round(max(lags), 2) if lags else None,
    }


def errors_of(run: Run) -> list[str]:
    found = [f"{e.get('stage')}: {e.get('error')}" for _t, e in run.events if e.get("event") == "error"]
    found += [line for line in run.stderr if "Traceback" in line or line.startswith("copilot: error")]
    if run.timed_out:
        found.append("timed out: killed")
    elif run.returncode != 0:
        found.append(f"exit code {run.returncode}: " + " | ".join(run.stderr[-5:]))
    return found


def report_of(track: Track, run: Run, load: str) -> dict:
    questions = match_questions(track, [e for _t, e in run.events])
    memory = rss_summary(run.rss, run.ended_at())
    errors = errors_of(run)
    failures = []
    if memory["growth_pct"] is None or memory["growth_pct"] >= GROWTH_LIMIT_PCT:
        failures.append(f"RSS growth {memory['growth_pct']}% (limit {GROWTH_LIMIT_PCT}%)")
    if questions["answered"] < questions["asked"]:
        failures.append(f"{questions['asked'] - questions['answered']} of {questions['asked']} questions not answered")
    if errors:
        failures.append(f"{len(errors)} errors")
    if not track.questions and questions["extra_detected"]:
        failures.append(f"{len(questions['extra_detected'])} questions heard in silence")
    return {
        "ok": not failures,
        "failures": failures,
        "rss": memory,
        "questions": questions,
        "timing": lag_summary(track, run),
        "errors": errors,
        "returncode": run.returncode,
        "load_average_at_start": load,
        "rss_samples": run.rss,
        "spoken": [asdict(q) for q in track.questions],
    }


def save_raw(run: Run, path: Path) -> None:
    """Every event with its wall time, and the stderr: a long run's evidence, kept for a second look."""
    lines = [json.dumps({"wall_s": round(t, 2)} | e) for t, e in run.events]
    lines += [json.dumps({"stderr": line}) for line in run.stderr]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the command ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=30.0, help="length of the track (default 30)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--silence", action="store_true", help="a quiet room (hiss, the odd burst), no questions")
    p.add_argument("--sample-s", type=float, default=10.0, help="seconds between RSS samples (default 10)")
    p.add_argument("--stories", type=Path, default=EXAMPLE_STORIES)
    p.add_argument("--llm", action="store_true", help="keep the language-model rewrite on (default: off)")
    p.add_argument("--work", type=Path, default=REPO / "build" / "soak", help="audio, cache and private folders")
    p.add_argument("--out", type=Path, help="the JSON report (default: <work>/report-<kind>-<minutes>min.json)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kind = "silence" if args.silence else "questions"
    track = (
        silent_track(args.minutes, args.seed)
        if args.silence
        else build_track(args.minutes, args.seed, args.work / "speech")
    )
    audio = args.work / f"{kind}-{args.minutes:g}min-seed{args.seed}.wav"
    write_wav(track.samples, audio)
    print(f"soak: {track.duration_s / 60:.1f} min of audio, {len(track.questions)} questions: {audio}", file=sys.stderr)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    timeout_s = track.duration_s * 2 + 600  # real time, plus model loading, plus a loaded machine
    with tempfile.TemporaryDirectory(prefix="soak-home-", dir=args.work) as home:
        run = run_listen(audio, args.stories, Path(home), args.sample_s, timeout_s, args.llm)
    report = report_of(track, run, load)
    out = args.out or args.work / f"report-{kind}-{args.minutes:g}min.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    save_raw(run, out.with_suffix(".events.jsonl"))
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    summary = {k: report[k] for k in ("ok", "failures", "timing")} | {"rss": report["rss"]}
    print(json.dumps(summary | {"report": str(out)}, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

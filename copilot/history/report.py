"""A stored session as a report: Markdown for notes, or one self-contained HTML file.

The HTML has inline CSS and SVG charts drawn here in Python, and loads nothing (no script, no CDN,
and a Content-Security-Policy that forbids it), so it opens offline and can be shared as one file.

Charts: pace in words per minute per answer, STAR coverage per behavioral answer, and latency per
pipeline stage. Each is drawn only when the session has the data for it.

Payloads read here: the live records (copilot/live/report.py `event_record`, minus "event"), and
  feedback as copilot/practice/feedback.py `answer_feedback` writes it: {"question", "question_type",
    "transcript", "delivery": {"words_per_minute"}, "content": {"checks": {"situation_heard": bool, ...}}},
    or the short form {"words_per_minute", "content": {"star": {part: bool | 0..1}}}; either may carry
    a "question_id". A feedback item with no question before it starts its own answer (drills).
  timings  {"question_id"?, "timings_ms": {stage: ms}}  (or the stage keys at top level)
  mock_answer  copilot/cli/mock.py's line per question: {"index", "round", "question", "question_type",
    "transcript", "follow_ups": [str], "follow_up_answers": [str], "rubric": {criterion: {"score",
    "evidence": [str]}}, "red_flags": [{"id", "message", "evidence"?}]}
  mock_summary  {"role", "level", "questions", "rounds": {round: {criterion: mean}}, "red_flags": [id],
    "next_drills": [criterion]}
Read as plain dictionaries: the history sits beside copilot.practice, not above it, so it does not
import the mock interviewer's types.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from copilot.atomic import write_text_atomic
from copilot.events import CANDIDATE
from copilot.history.store import Item, Session
from copilot.wording import PACE_BAND_WPM  # the calm range the feedback coaches towards

STAGES = ("transcribe", "classify", "retrieve", "compose", "first_bullet", "generate")
STAR_PARTS = ("situation", "task", "action", "result")
_SERIES_COLOURS = ("#3b6fb6", "#e08a2c", "#4c9a6a", "#a35ca8", "#c8524d", "#6b7a8f")
FORMATS = ("md", "html")


# --- from items to answers ------------------------------------------------------------------------


@dataclass
class Answer:
    """One question and everything that followed it until the next question."""

    number: int
    question_id: int | None
    question: str
    question_type: str | None = None
    type_confidence: float | None = None
    cards: dict[str, list[str]] = field(default_factory=dict)
    bullets: list[str] = field(default_factory=list)
    answer: list[dict[str, Any]] = field(default_factory=list)  # the candidate's final transcripts
    feedback: dict[str, Any] | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"Q{self.number}"

    def words_per_minute(self) -> float | None:
        """From feedback when it gives one, else from the candidate's timed transcripts."""
        feedback = self.feedback or {}
        for source in (feedback, feedback.get("delivery") or {}):
            if _number(source.get("words_per_minute")) is not None:
                return _number(source.get("words_per_minute"))
        words = sum(len(str(t.get("text", "")).split()) for t in self.answer)
        seconds = sum(
            max(0.0, (_number(t.get("t_end_s")) or 0.0) - (_number(t.get("t_start_s")) or 0.0)) for t in self.answer
        )
        return words * 60.0 / seconds if words and seconds >= 1.0 else None

    def star(self) -> dict[str, float] | None:
        """STAR part -> coverage 0..1, when feedback judged it."""
        content = (self.feedback or {}).get("content") or {}
        star = content.get("star") or _heard_parts(content.get("checks"))
        if not isinstance(star, dict) or not star:
            return None
        parts = [p for p in STAR_PARTS if p in star] + [p for p in star if p not in STAR_PARTS]
        return {part: _coverage(star[part]) for part in parts}


def _heard_parts(checks: Any) -> dict[str, bool] | None:
    """copilot/practice/feedback.py's behavioral checks ({"situation_heard": True, ...}) as STAR parts."""
    if not isinstance(checks, dict):
        return None
    heard = {key.removesuffix("_heard"): bool(v) for key, v in checks.items() if key.endswith("_heard")}
    return heard or None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _coverage(value: Any) -> float:
    if isinstance(value, dict):  # {"present": true, ...} or {"score": 0.5, ...}
        value = value.get("score", value.get("present"))
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    number = _number(value)
    return min(1.0, max(0.0, number)) if number is not None else 0.0


def answers(session: Session) -> list[Answer]:
    """Group the items by question: an item with a question_id joins that question, else the latest.

    Live mode shows cards while the question is still being spoken, so its cards and bullets are
    recorded before the (final) question item with the same id: they wait for it, rather than joining
    the previous question or being lost."""
    result: list[Answer] = []
    by_id: dict[int, Answer] = {}
    early: dict[int, list[Item]] = {}  # items of a question id whose question is not recorded yet
    for item in session.items:
        if item.kind == "question":
            revised = by_id.get(item.payload.get("question_id", -1)) if item.payload.get("revised") else None
            if revised is not None:  # a second decode of a live question: the same question, better read
                revised.question = str(item.payload.get("text", "")) or revised.question
                continue
            answer = Answer(len(result) + 1, item.payload.get("question_id"), str(item.payload.get("text", "")))
            result.append(answer)
            if answer.question_id is not None:
                by_id[answer.question_id] = answer
                for waiting in early.pop(answer.question_id, []):
                    _attach(answer, waiting)
            continue
        question_id = item.payload.get("question_id")
        if isinstance(question_id, int) and question_id not in by_id and item.kind in ("cards", "bullets"):
            early.setdefault(question_id, []).append(item)
            continue
        target = by_id.get(item.payload.get("question_id", -1)) or (result[-1] if result else None)
        if item.kind == "feedback" and (target is None or _starts_drill_answer(item, target)):
            target = Answer(len(result) + 1, item.payload.get("question_id"), str(item.payload.get("question", "")))
            result.append(target)
        if target is not None:  # speech before the first question only shows in the transcript
            _attach(target, item)
    return result


def _starts_drill_answer(item: Item, current: Answer) -> bool:
    # A drill records one feedback per answer, each naming its question: a second one is a new answer.
    return current.feedback is not None and "question" in item.payload


def _attach(answer: Answer, item: Item) -> None:
    p = item.payload
    if item.kind == "cards":
        answer.question_type = p.get("question_type")
        answer.type_confidence = _number(p.get("type_confidence"))
        answer.cards = {k: [str(x) for x in p.get(k) or []] for k in ("frameworks", "stories", "topics")}
    elif item.kind == "bullets":
        answer.bullets = [str(b) for b in p.get("bullets") or []]  # the latest wins: the LLM rewrite
    elif item.kind == "transcript" and p.get("speaker") == CANDIDATE:
        answer.answer.append(p)
    elif item.kind == "feedback":
        answer.feedback = p
        answer.question = answer.question or str(p.get("question", ""))
        answer.question_type = answer.question_type or p.get("question_type")
        if not answer.answer and p.get("transcript"):
            answer.answer.append({"speaker": CANDIDATE, "text": str(p["transcript"])})
    elif item.kind == "timings":
        nested = p.get("timings_ms")
        source: dict[str, Any] = nested if isinstance(nested, dict) else p
        # A stage at exactly 0 ms did not run (no audio to transcribe for a typed question): not a figure.
        answer.timings_ms = {s: float(source[s]) for s in STAGES if _number(source.get(s))}


def transcripts(session: Session) -> list[dict[str, Any]]:
    return [item.payload for item in session.items if item.kind == "transcript"]


def _when(iso: str | None) -> str:
    if not iso:
        return "did not end cleanly"
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return iso


def _title(session: Session) -> str:
    return f"{session.kind.capitalize()} session {session.id}"


def _type_text(answer: Answer) -> str:
    if not answer.question_type:
        return "type unknown"
    confidence = f" ({answer.type_confidence:.0%})" if answer.type_confidence is not None else ""
    return f"{answer.question_type}{confidence}"


# --- Markdown -------------------------------------------------------------------------------------


def to_markdown(session: Session) -> str:
    lines = [f"# {_title(session)}", "", f"Started {_when(session.started_at)}; ended {_when(session.ended_at)}.", ""]
    for answer in answers(session):
        lines += _answer_markdown(answer)
    lines += _mock_markdown(session)
    said = transcripts(session)
    if said:
        lines += ["## Transcript", ""]
        lines += [f"- **{t.get('speaker', '?')}** [{_span(t)}]: {t.get('text', '')}" for t in said]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _answer_markdown(answer: Answer) -> list[str]:
    lines = [f"## {answer.label}. {answer.question}", "", f"*{_type_text(answer)}*", ""]
    for kind, ids in answer.cards.items():
        if ids:
            lines.append(f"- {kind.capitalize()}: {', '.join(ids)}")
    if answer.bullets:
        lines += ["", "Cue bullets:", ""] + [f"- {b}" for b in answer.bullets]
    if answer.answer:
        wpm = answer.words_per_minute()
        pace = f" ({wpm:.0f} words per minute)" if wpm is not None else ""
        lines += ["", f"Your answer{pace}:", "", "> " + " ".join(str(t.get("text", "")) for t in answer.answer)]
    star = answer.star()
    if star:
        lines += ["", "STAR: " + ", ".join(f"{part} {_star_mark(v)}" for part, v in star.items())]
    score, advice = _score_and_advice(answer)
    if score is not None:
        lines += ["", f"Score: **{score:.2f}** ({_score_word(score)})"]
    if advice:
        lines += ["", "Suggestions:", ""] + [f"- {s}" for s in advice]
    if answer.timings_ms:
        lines += ["", "| stage | ms |", "|---|---:|"] + [f"| {s} | {ms:.0f} |" for s, ms in answer.timings_ms.items()]
    return lines + [""]


# --- mock interviews ------------------------------------------------------------------------------


def mock_answers(session: Session) -> list[dict[str, Any]]:
    return [item.payload for item in session.items if item.kind == "mock_answer"]


def mock_summary(session: Session) -> dict[str, Any] | None:
    found = session.of_kind("mock_summary")
    return found[-1].payload if found else None


def _label(name: Any) -> str:
    return str(name).replace("_", " ")


def _rubric_rows(answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(criterion, "3/4", first quoted evidence) per rubric criterion, in the order graded."""
    rubric = answer.get("rubric")
    rows = []
    for name, score in rubric.items() if isinstance(rubric, dict) else []:
        score = score if isinstance(score, dict) else {}
        evidence = score.get("evidence") or []
        value = _number(score.get("score"))
        rows.append(
            (_label(name), f"{value:.0f}/4" if value is not None else "?", str(evidence[0]) if evidence else "")
        )
    return rows


def _flags(payload: dict[str, Any]) -> list[str]:
    flags = payload.get("red_flags")
    return [
        str(f.get("message") or _label(f.get("id", "?"))) if isinstance(f, dict) else _label(f)
        for f in (flags if isinstance(flags, list) else [])
    ]


def _follow_ups(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(follow-up asked, how it was answered or None): only the first is asked aloud; others were not reached."""
    asked = [str(q) for q in answer.get("follow_ups") or []]
    replies = [str(a) for a in answer.get("follow_up_answers") or []]
    return [(q, replies[i] if i < len(replies) else None) for i, q in enumerate(asked)]


def _summary_lines(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(heading, text) rows of a mock's summary: per round, then red flags and next drills."""
    rounds = summary.get("rounds")
    rounds = rounds if isinstance(rounds, dict) else {}
    rows = [
        (_label(r), ", ".join(f"{_label(c)} {m:.1f}" for c, m in crit.items() if _number(m) is not None))
        for r, crit in rounds.items()
        if isinstance(crit, dict)
    ]
    rows.append(("red flags", ", ".join(_label(f) for f in summary.get("red_flags") or []) or "none"))
    rows.append(("next drills", ", ".join(_label(d) for d in summary.get("next_drills") or []) or "-"))
    return rows


def _mock_heading(n: int, answer: dict[str, Any]) -> str:
    where = " · ".join(dict.fromkeys(_label(x) for x in (answer.get("round"), answer.get("question_type")) if x))
    return f"Q{answer.get('index', n)}. {answer.get('question', '')}" + (f" ({where})" if where else "")


def _mock_markdown(session: Session) -> list[str]:
    lines: list[str] = []
    for n, answer in enumerate(mock_answers(session), 1):
        lines += [f"## {_mock_heading(n, answer)}", ""]
        if answer.get("transcript"):
            lines += ["Your answer:", "", "> " + str(answer["transcript"]), ""]
        for question, reply in _follow_ups(answer):
            lines.append(f"- Follow-up: {question}")
            lines.append(f"  - Answered: {reply}" if reply is not None else "  - Not answered")
        rows = _rubric_rows(answer)
        if rows:
            lines += ["", "| criterion | score | evidence |", "|---|---:|---|"]
            lines += [f"| {name} | {score} | {quote.replace('|', '/')} |" for name, score, quote in rows]
        flags = _flags(answer)
        lines += ["", "Red flags: " + ("; ".join(flags) if flags else "none"), ""]
    summary = mock_summary(session)
    if summary is not None:
        role = " · ".join(_label(x) for x in (summary.get("role"), summary.get("level")) if x)
        lines += [f"## Summary{f' ({role})' if role else ''}", ""]
        lines += [f"- {heading}: {text}" for heading, text in _summary_lines(summary)] + [""]
    return lines


def _score_and_advice(answer: Answer) -> tuple[float | None, list[str]]:
    """A drill answer's score (0..1) and the feedback's suggestions, when the session has them."""
    feedback = answer.feedback or {}
    advice = feedback.get("suggestions")
    return _number(feedback.get("score")), [str(s) for s in advice] if isinstance(advice, list) else []


def _score_word(score: float) -> str:
    """The drill window's words for a score (ui/common/widgets.py SCORE_LEVELS), so both read the same."""
    return "strong" if score >= 0.75 else "fair" if score >= 0.5 else "weak"


def _star_mark(value: float) -> str:
    return "yes" if value >= 0.999 else "no" if value <= 0.001 else f"{value:.0%}"


def _span(t: dict[str, Any]) -> str:
    start, end = _number(t.get("t_start_s")), _number(t.get("t_end_s"))
    return f"{start:.1f}–{end:.1f} s" if start is not None and end is not None else "?"


# --- SVG charts -----------------------------------------------------------------------------------

_CHART_W = 760
_LABEL_W = 110
_ROW_H = 22


def _svg(height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_CHART_W} {height}" width="{_CHART_W}" '
        f'height="{height}" role="img" aria-label="{html.escape(title)}">' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "lbl") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">{html.escape(text)}</text>'


def _axis(x_max: float, top: int, bottom: int, unit: str) -> list[str]:
    """Vertical grid lines with their values, at about five round steps."""
    plot_w = _CHART_W - _LABEL_W - 60
    step = _nice_step(x_max / 5)
    out: list[str] = []
    value = 0.0
    while value <= x_max + 1e-9:
        x = _LABEL_W + plot_w * value / x_max
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        out.append(_text(x, bottom + 14, f"{value:,g}", "middle", "tick"))
        value += step
    out.append(_text(_CHART_W - 4, bottom + 14, unit, "end", "tick"))
    return out


def _nice_step(raw: float) -> float:
    magnitude = 10 ** len(str(int(max(raw, 1)))) / 10
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def bar_chart(
    rows: list[tuple[str, list[tuple[float, int]]]],
    unit: str,
    title: str,
    band: tuple[float, float] | None = None,
) -> str:
    """Horizontal bars: per row label, one bar per (value, series index), with the value written."""
    bars_per_row = max((len(values) for _, values in rows), default=1)
    group_h = bars_per_row * _ROW_H + 10
    top, bottom = 8, 8 + group_h * len(rows)
    x_max = max([v for _, values in rows for v, _ in values] + [band[1] * 1.15 if band else 1.0]) * 1.1
    plot_w = _CHART_W - _LABEL_W - 60
    body: list[str] = []
    if band:
        x0, x1 = (_LABEL_W + plot_w * b / x_max for b in band)
        body.append(f'<rect x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" height="{bottom - top}" class="band"/>')
    body += _axis(x_max, top, bottom, unit)
    for r, (label, values) in enumerate(rows):
        y0 = top + r * group_h + 5
        body.append(_text(_LABEL_W - 8, y0 + group_h / 2, label, "end"))
        for b, (value, series) in enumerate(values):
            y = y0 + b * _ROW_H
            width = max(1.0, plot_w * value / x_max)
            colour = _SERIES_COLOURS[series % len(_SERIES_COLOURS)]
            body.append(
                f'<rect x="{_LABEL_W}" y="{y:.1f}" width="{width:.1f}" height="{_ROW_H - 6}" fill="{colour}" rx="2"/>'
            )
            body.append(_text(_LABEL_W + width + 4, y + _ROW_H - 10, f"{value:,.0f}", cls="val"))
    return _svg(bottom + 24, body, title)


def star_chart(rows: list[tuple[str, dict[str, float]]]) -> str:
    """A grid: one row per behavioral answer, one cell per STAR part, filled by its coverage."""
    parts = list(dict.fromkeys(p for _, star in rows for p in star))
    cell_w, cell_h, top = 120, 30, 24
    body = [_text(_LABEL_W + i * cell_w + cell_w / 2, 16, p.capitalize(), "middle") for i, p in enumerate(parts)]
    for r, (label, star) in enumerate(rows):
        y = top + r * (cell_h + 6)
        body.append(_text(_LABEL_W - 8, y + cell_h / 2 + 4, label, "end"))
        for i, part in enumerate(parts):
            value = star.get(part, 0.0)
            x = _LABEL_W + i * cell_w + 3
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 6}" height="{cell_h}" rx="3" class="cell" '
                f'fill-opacity="{0.12 + 0.88 * value:.2f}"/>'
            )
            body.append(_text(x + (cell_w - 6) / 2, y + cell_h / 2 + 4, _star_mark(value), "middle", "cellv"))
    return _svg(top + len(rows) * (cell_h + 6) + 6, body, "STAR coverage per behavioral answer")


def _legend(names: list[str]) -> str:
    chips = "".join(
        f'<span class="chip"><i style="background:{_SERIES_COLOURS[i % len(_SERIES_COLOURS)]}"></i>'
        f"{html.escape(n)}</span>"
        for i, n in enumerate(names)
    )
    return f'<div class="legend">{chips}</div>'


def _pace_series(wpm: float) -> int:
    # Colour carries the verdict so a glance at the chart is enough: blue in range, orange outside.
    return 0 if PACE_BAND_WPM[0] <= wpm <= PACE_BAND_WPM[1] else 1


def _charts(found: list[Answer]) -> list[str]:
    out: list[str] = []
    pace = [(a.label, [(wpm, _pace_series(wpm))]) for a in found if (wpm := a.words_per_minute()) is not None]
    if pace:
        band = f"{PACE_BAND_WPM[0]:.0f}–{PACE_BAND_WPM[1]:.0f}"
        note = f"Shaded: {band} words per minute, a comfortable pace; orange bars fall outside it."
        out.append(f'<section class="chart"><h2>Pace per answer</h2><p class="note">{note}</p>')
        out.append(bar_chart(pace, "wpm", "Pace in words per minute per answer", PACE_BAND_WPM) + "</section>")
    star = [(a.label, s) for a in found if (s := a.star())]
    if star:
        out.append('<section class="chart"><h2>STAR coverage</h2>' + star_chart(star) + "</section>")
    timed = [a for a in found if a.timings_ms]
    if timed:
        stages = [s for s in STAGES if any(s in a.timings_ms for a in timed)]
        rows = [(s, [(a.timings_ms[s], i) for i, a in enumerate(timed) if s in a.timings_ms]) for s in stages]
        out.append('<section class="chart"><h2>Latency per stage</h2>' + _legend([a.label for a in timed]))
        out.append(bar_chart(rows, "ms", "Latency per stage in milliseconds") + "</section>")
    return out


# --- HTML -----------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2430;background:#f6f7f9;margin:0}
main{max-width:820px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 8px}
.meta,.note{color:#5b6576;margin:0 0 12px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:16px 18px;margin:14px 0}
.tag{display:inline-block;background:#e8eef8;color:#264a80;border-radius:10px;padding:1px 9px;font-size:13px}
.cards{color:#5b6576;font-size:14px;margin:6px 0}ul{margin:6px 0 6px 20px;padding:0}
blockquote{margin:8px 0;padding:6px 12px;border-left:3px solid #3b6fb6;background:#f3f6fb}
table{border-collapse:collapse;font-size:14px}td,th{padding:2px 10px 2px 0;text-align:left}td.n{text-align:right}
.turn{margin:4px 0}.who{font-weight:600;margin-right:6px}.when{color:#8a93a3;font-size:12px;margin-right:6px}
svg{max-width:100%;height:auto}svg .lbl{font-size:13px;fill:#1d2430}svg .tick,svg .val{font-size:11px;fill:#5b6576}
svg .grid{stroke:#e3e6eb}svg .band{fill:#4c9a6a;fill-opacity:.13}svg .cell{fill:#4c9a6a;stroke:#4c9a6a}
svg .cellv{font-size:12px;fill:#1d2430}
.legend{font-size:13px;margin-bottom:6px}.chip{margin-right:12px}
.chip i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
"""
# Nothing in the report should load or run anything: it is user content, opened from disk.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def to_html(session: Session) -> str:
    found = answers(session)
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{e(_title(session))}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{e(_title(session))}</h1>",
        f'<p class="meta">Started {e(_when(session.started_at))} · ended {e(_when(session.ended_at))} · '
        f"{_count(len(found) + len(mock_answers(session)), 'question')}</p>",
    ]
    parts += _charts(found)
    parts += [_answer_html(a) for a in found]
    parts += _mock_html(session)
    parts.append(_transcript_html(transcripts(session)))
    parts.append("</main></body></html>")
    return "\n".join(p for p in parts if p) + "\n"


def _answer_html(answer: Answer) -> str:
    e = html.escape
    out = [f'<section class="answer"><h2>{e(answer.label)}. {e(answer.question)}</h2>']
    out.append(f'<span class="tag">{e(_type_text(answer))}</span>')
    for kind, ids in answer.cards.items():
        if ids:
            out.append(f'<div class="cards"><b>{e(kind.capitalize())}:</b> {e(", ".join(ids))}</div>')
    if answer.bullets:
        out.append("<ul>" + "".join(f"<li>{e(b)}</li>" for b in answer.bullets) + "</ul>")
    if answer.answer:
        wpm = answer.words_per_minute()
        pace = f" · {wpm:.0f} wpm" if wpm is not None else ""
        text = " ".join(str(t.get("text", "")) for t in answer.answer)
        out.append(f'<div class="note">Your answer{e(pace)}</div><blockquote>{e(text)}</blockquote>')
    score, advice = _score_and_advice(answer)
    if score is not None:
        out.append(f'<div class="note">Score <b>{score:.2f}</b> ({e(_score_word(score))})</div>')
    if advice:
        out.append('<div class="note">Suggestions</div><ul>' + "".join(f"<li>{e(s)}</li>" for s in advice) + "</ul>")
    if answer.timings_ms:
        rows = "".join(
            f'<tr><td>{e(s)}</td><td class="n">{ms:,.0f} ms</td></tr>' for s, ms in answer.timings_ms.items()
        )
        out.append(f"<table>{rows}</table>")
    return "".join(out) + "</section>"


def _mock_html(session: Session) -> list[str]:
    e = html.escape
    out = []
    for n, answer in enumerate(mock_answers(session), 1):
        part = [f'<section class="answer"><h2>{e(_mock_heading(n, answer))}</h2>']
        if answer.get("transcript"):
            part.append(f'<div class="note">Your answer</div><blockquote>{e(str(answer["transcript"]))}</blockquote>')
        for question, reply in _follow_ups(answer):
            said = (
                f"<blockquote>{e(reply)}</blockquote>" if reply is not None else '<div class="note">Not answered</div>'
            )
            part.append(f'<div class="note">Follow-up: <b>{e(question)}</b></div>{said}')
        rows = "".join(
            f'<tr><td>{e(name)}</td><td class="n">{e(score)}</td><td>{e(quote)}</td></tr>'
            for name, score, quote in _rubric_rows(answer)
        )
        if rows:
            part.append(f"<table><tr><th>criterion</th><th>score</th><th>evidence</th></tr>{rows}</table>")
        flags = _flags(answer)
        part.append('<div class="note">Red flags: ' + (e("; ".join(flags)) if flags else "none") + "</div>")
        out.append("".join(part) + "</section>")
    summary = mock_summary(session)
    if summary is not None:
        rows = "".join(f"<tr><th>{e(h)}</th><td>{e(text)}</td></tr>" for h, text in _summary_lines(summary))
        out.append(f'<section class="answer"><h2>Summary</h2><table>{rows}</table></section>')
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _transcript_html(said: list[dict[str, Any]]) -> str:
    if not said:
        return ""
    e = html.escape
    turns = "".join(
        f'<div class="turn"><span class="when">{e(_span(t))}</span><span class="who">{e(str(t.get("speaker", "?")))}</span>'
        f"{e(str(t.get('text', '')))}</div>"
        for t in said
    )
    return f'<section class="transcript"><h2>Transcript</h2>{turns}</section>'


# --- export ---------------------------------------------------------------------------------------


def render(session: Session, fmt: str) -> str:
    if fmt == "md":
        return to_markdown(session)
    if fmt == "html":
        return to_html(session)
    raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")


def export(session: Session, fmt: str, out: Path) -> Path:
    """Write the report atomically: an interrupted export never leaves half a file at `out`."""
    write_text_atomic(Path(out), render(session, fmt))
    return Path(out)

"""The mock interview's report and its trend: each answer and its grades recorded in the encrypted
session history, past mocks read back for a trend per criterion, and an HTML page of it all.

In the history a mock is a "mock" session with one "mock_answer" item per question (what was asked,
said and graded) and a "mock_summary" item at the end; only the summary is read for the trend.
"""

from __future__ import annotations

import html
from typing import Any, Protocol

TREND_SESSIONS = 12  # the last dozen mocks: enough for a direction, short enough to read


class Recorder(Protocol):
    def record(self, kind: str, payload: dict[str, Any]) -> None: ...


def record_mock(record: Recorder, answered: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    for item in answered:
        record.record("mock_answer", item)
    record.record("mock_summary", summary)


def past_summaries(store: Any, limit: int = TREND_SESSIONS) -> list[tuple[str, dict[str, Any]]]:
    """(started_at, summary) of the last `limit` finished mocks in the history, oldest first."""
    mocks = [s for s in store.list_sessions() if s.kind == "mock" and s.item_counts.get("mock_summary")]
    mocks.sort(key=lambda s: s.started_at)
    out = []
    for s in mocks[-limit:]:
        items = store.load_session(s.id).of_kind("mock_summary")
        if items:
            out.append((s.started_at, items[-1].payload))
    return out


def criterion_means(summary: dict[str, Any]) -> dict[str, float]:
    """One mean per criterion over the rounds of one mock."""
    values: dict[str, list[float]] = {}
    for criteria in summary.get("rounds", {}).values():
        for name, mean in criteria.items():
            values.setdefault(name, []).append(float(mean))
    return {name: round(sum(v) / len(v), 2) for name, v in values.items()}


def trend(points: list[tuple[str, dict[str, Any]]]) -> dict[str, list[float]]:
    """Criterion -> its mean in each past mock that graded it, oldest first."""
    out: dict[str, list[float]] = {}
    for _when, summary in points:
        for name, mean in criterion_means(summary).items():
            out.setdefault(name, []).append(mean)
    return out


def _sparkline(values: list[float], width: int = 160, height: int = 32) -> str:
    """An inline SVG line of scores 1-4: no chart library, nothing loaded from the network."""
    if len(values) < 2:
        return f"<span>{values[0]:.1f}</span>" if values else ""
    step = width / (len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - (v - 1) / 3 * height:.1f}" for i, v in enumerate(values))
    label = "scores " + ", ".join(f"{v:.1f}" for v in values)
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="{label}">'
        f'<polyline fill="none" stroke="#3d7dd8" stroke-width="2" points="{points}"/></svg>'
    )


def report_html(answered: list[dict[str, Any]], summary: dict[str, Any], history: dict[str, list[float]]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(r)}</td><td>{e(c.replace('_', ' '))}</td><td>{m:.1f}</td></tr>"
        for r, criteria in summary["rounds"].items()
        for c, m in criteria.items()
    )
    answers = "".join(_answer_html(i + 1, a) for i, a in enumerate(answered))
    trend_rows = "".join(
        f"<tr><td>{e(c.replace('_', ' '))}</td><td>{_sparkline(v)}</td><td>{len(v)} mock{'s' if len(v) != 1 else ''}</td></tr>"
        for c, v in history.items()
    )
    drills = "".join(f"<li>{e(d.replace('_', ' '))}</li>" for d in summary["next_drills"]) or "<li>none</li>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Mock interview report</title>"
        "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}td,th{padding:4px 8px;"
        "text-align:left;vertical-align:top}.flag{color:#b3261e}</style></head><body>"
        f"<h1>Mock interview: {e(summary['role'].replace('_', ' '))}, {e(summary['level'])}</h1>"
        f"<h2>By round and criterion</h2><table><tr><th>round</th><th>criterion</th><th>mean</th></tr>{rows}</table>"
        f"<h2>Next drills</h2><ul>{drills}</ul>"
        f"<h2>Trend over past mocks</h2><table>{trend_rows or '<tr><td>no earlier mock</td></tr>'}</table>"
        f"<h2>Questions</h2>{answers}</body></html>"
    )


def _story_html(a: dict[str, Any]) -> str:
    """The library story the answer retold, or the draft made from it (when stories were matched)."""
    if a.get("matched_story"):
        story = a["matched_story"]
        return f"<p>Your story: <b>{html.escape(story['title'])}</b> ({story['score']:.2f})</p>"
    if a.get("draft_story"):
        return f"<p>No story matched; a draft for your library:</p><pre>{html.escape(a['draft_story'])}</pre>"
    return ""


def _answer_html(n: int, a: dict[str, Any]) -> str:
    e = html.escape
    grades = "".join(
        f"<tr><td>{e(c.replace('_', ' '))}</td><td>{s['score']}/4</td>"
        f"<td>{'<br>'.join('“' + e(q) + '”' for q in s['evidence'])}</td></tr>"
        for c, s in a["rubric"].items()
    )
    flags = "".join(f"<li class='flag'>{e(f['message'])}</li>" for f in a["red_flags"])
    follow_answers = a.get("follow_up_answers") or []
    probes = "".join(
        f"<li>{e(p)}<br><i>{e(follow_answers[i]) if i < len(follow_answers) else 'not answered'}</i></li>"
        for i, p in enumerate(a["follow_ups"])
    )
    return (
        f"<h3>Q{n} ({e(a['round'])}, {e(a['question_type'])}): {e(a['question'])}</h3>"
        f"<p>{e(a['transcript'])}</p><table>{grades}</table>"
        + _story_html(a)
        + (f"<ul>{flags}</ul>" if flags else "")
        + (f"<p>Follow-ups:</p><ul>{probes}</ul>" if probes else "")
    )

"""`copilot history show` and export of a mock session: its rounds, questions, follow-ups (and how they
were answered), rubric scores with evidence, red flags and the summary."""

from __future__ import annotations

import json
from pathlib import Path

from copilot.cli.main import main
from copilot.history.report import to_html, to_markdown
from copilot.history.store import open_default_store

WEAK = "We rebuilt the ranking pipeline and we moved it to a feature store. It was much faster after that."
FOLLOW = "It went from 300 ms to 90 ms at p99, and I personally wrote the caching layer because reads dominated."


def _mock_session(tmp_path: Path, capsys) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    answer = tmp_path / "a.txt"
    answer.write_text(WEAK, encoding="utf-8")
    follow = tmp_path / "f.txt"
    follow.write_text(FOLLOW, encoding="utf-8")
    argv = ["mock", "--rounds", "behavioral", "--seed", "1", "--json", "--answer-files", str(answer)]
    assert main([*argv, "--follow-up-files", str(follow)]) == 0
    graded = json.loads(capsys.readouterr().out.splitlines()[0])
    with open_default_store() as store:
        (mock,) = [s for s in store.list_sessions() if s.kind == "mock"]
    return mock.id, graded


def test_history_show_prints_a_mocks_rounds_follow_ups_scores_and_flags(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    session_id, graded = _mock_session(tmp_path, capsys)
    assert main(["history", "show", str(session_id)]) == 0
    shown = capsys.readouterr().out
    assert f"Q1. {graded['question']} (behavioral)" in shown  # the round, its type said once when the same
    assert WEAK in shown
    assert f"- Follow-up: {graded['follow_ups'][0]}" in shown
    assert f"  - Answered: {FOLLOW}" in shown
    if len(graded["follow_ups"]) > 1:  # only the first probe is asked aloud; a second is shown as not reached
        assert f"- Follow-up: {graded['follow_ups'][1]}\n  - Not answered" in shown
    for criterion, score in graded["rubric"].items():
        assert f"| {criterion.replace('_', ' ')} | {score['score']}/4 |" in shown
    for flag in graded["red_flags"]:
        assert flag["message"] in shown
    assert "## Summary (ml engineer · senior)" in shown and "- next drills: " in shown


def test_history_list_counts_a_mocks_questions(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    session_id, _graded = _mock_session(tmp_path, capsys)
    assert main(["history", "list"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.split()[0] == str(session_id))
    assert "1 questions, 2 items" in line


def test_the_html_export_of_a_mock_has_its_rubric_and_escapes_what_was_said(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    session_id, graded = _mock_session(tmp_path, capsys)
    with open_default_store() as store:
        session = store.load_session(session_id)
    page = to_html(session)
    assert "1 question<" in page
    assert "<th>criterion</th><th>score</th><th>evidence</th>" in page
    first = next(iter(graded["rubric"]))
    assert f'<td>{first.replace("_", " ")}</td><td class="n">{graded["rubric"][first]["score"]}/4</td>' in page
    assert "<script" not in page
    assert "Red flags:" in to_markdown(session)


def test_a_mock_item_with_missing_fields_still_renders(tmp_path: Path) -> None:
    """Older or hand-edited records lack fields: the report shows what is there, never a traceback."""
    with open_default_store() as store:
        sid = store.start_session("mock")
        store.record(sid, "mock_answer", {"question": "Why <this> role?", "rubric": {"why_role": {"score": 2}}})
        store.record(sid, "mock_summary", {"rounds": {"screen": {"why_role": 2.0}}})
        store.end_session(sid)
        session = store.load_session(sid)
    shown = to_markdown(session)
    assert "## Q1. Why <this> role?" in shown and "| why role | 2/4 |  |" in shown
    assert "- screen: why role 2.0" in shown and "- red flags: none" in shown
    assert "Why &lt;this&gt; role?" in to_html(session)

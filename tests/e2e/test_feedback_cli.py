"""`copilot feedback` through its own register(), as the lead wires it into copilot/cli/main.py."""

from __future__ import annotations

import argparse
import json
import shutil

import pytest
from conftest import EXAMPLE_STORIES, speak

from copilot.cli.feedback import register


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["feedback", *argv])
    return int(args.func(args))


def test_an_empty_wav_fails_with_one_line_naming_the_file(tmp_path, capsys):
    empty = tmp_path / "answer.wav"
    empty.write_bytes(b"")
    assert run(str(empty), "--question", "Tell me about a time you failed.") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(empty) in err and "Traceback" not in err
    assert empty.read_bytes() == b""


def test_an_unreadable_answer_fails_as_a_json_line(tmp_path, capsys):
    answer = tmp_path / "a.wav"
    answer.write_bytes(b"this is not audio")
    assert run(str(answer), "--question", "Why this company?", "--json") == 1
    out, err = capsys.readouterr()
    assert str(answer) in json.loads(out)["error"]
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_question_is_required(tmp_path):
    with pytest.raises(SystemExit) as exc:
        run(str(tmp_path / "a.wav"))
    assert exc.value.code == 2


def test_an_empty_question_is_a_usage_error(tmp_path, capsys):
    assert run(str(tmp_path / "a.wav"), "--question", "  ") == 2
    assert "--question" in capsys.readouterr().err


@pytest.mark.slow
def test_an_unmatched_answer_saves_a_draft_story(tmp_path, capsys):
    stories = tmp_path / "stories"
    shutil.copytree(EXAMPLE_STORIES, stories)
    before = {p.name: p.read_bytes() for p in stories.iterdir()}
    answer = speak(
        "I really enjoy gardening. Last spring I planted tomatoes and basil in raised beds.", tmp_path / "a.wav"
    )
    question = speak("Tell me about a time you learned something new.", tmp_path / "q.wav")
    rc = run(str(answer), "--question-audio", str(question), "--stories", str(stories), "--save-draft", "--json")
    assert rc == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert "learned something new" in result["question"].lower()
    assert result["matched_story"] is None and result["draft_saved"]
    new = {p.name for p in stories.iterdir()} - set(before)
    assert [str(stories / name) for name in new] == [result["draft_saved"]]
    # Nothing the user already had was touched.
    assert all((stories / name).read_bytes() == data for name, data in before.items())

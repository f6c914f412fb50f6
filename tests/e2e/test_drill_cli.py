"""`copilot drill` through its own register(), as the lead wires it into copilot/cli/main.py: scripted
answers made with espeak-ng, the real speech model and classifier (slow), plus the quick usage errors."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_STORIES, speak

from copilot.cli.drill import register

STRONG_TECHNICAL = (
    "Regularization is a penalty on the size of the weights that keeps a model from overfitting. "
    "For example, L2 adds the squared weights to the loss. However, it breaks down when the penalty "
    "is too strong, because the model then underfits."
)
WEAK_TECHNICAL = "Um, I think, uh, it is, like, you know, something about, um, the model."


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["drill", *argv])
    return int(args.func(args))


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def stories(tmp_path: Path) -> Path:
    folder = tmp_path / "stories"
    shutil.copytree(EXAMPLE_STORIES, folder)
    return folder


@pytest.mark.slow
def test_a_scripted_drill_scores_each_answer_and_keeps_the_scores(tmp_path, stories, private_folders, capsys):
    answers = tmp_path / "answers"
    answers.mkdir()
    speak(STRONG_TECHNICAL, answers / "answer1.wav")
    speak(WEAK_TECHNICAL, answers / "answer2.wav")
    argv = ["--count", "2", "--type", "technical", "--answers", str(answers), "--seed", "3", "--stories", str(stories)]
    assert run(*argv, "--json") == 0, capsys.readouterr().err
    lines = json_lines(capsys.readouterr().out)
    first, second, summary = lines
    assert first["question_type"] == second["question_type"] == "technical"
    assert first["question"] != second["question"]
    assert first["answer_audio"].endswith("answer1.wav") and "penalty" in first["transcript"].lower()
    assert first["checks"] == {"definition": True, "example": True, "limitation": True}
    assert first["score"] > second["score"] and 0.0 <= second["score"] <= 1.0
    assert summary["summary"] and summary["questions"] == 2 and summary["weakest_types"] == []  # the only type drilled
    assert summary["mean_score_by_type"]["technical"] == pytest.approx((first["score"] + second["score"]) / 2, abs=1e-3)

    saved = json.loads((private_folders / "data" / "drill_scores.json").read_text(encoding="utf-8"))
    assert saved["scores"]["technical"] == [first["score"], second["score"]]

    from copilot.history.store import open_default_store

    with open_default_store() as store:
        (session,) = store.list_sessions()
        assert session.kind == "drill" and session.questions == 2
        items = store.load_session(session.id).of_kind("feedback")
        assert [i.payload["score"] for i in items] == [first["score"], second["score"]]

    # The same seed picks the same questions; the human output shows question, score and tips.
    assert run(*argv) == 0
    out = capsys.readouterr().out
    assert first["question"] in out and "score" in out and "This drill: technical" in out


def test_a_missing_answers_folder_is_a_usage_error(tmp_path, capsys):
    assert run("--answers", str(tmp_path / "nope")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err


def test_a_zero_count_is_a_usage_error(capsys):
    assert run("--count", "0", "--json") == 2
    assert "--count" in json.loads(capsys.readouterr().out)["error"]


def test_an_unknown_type_is_refused_by_the_parser():
    with pytest.raises(SystemExit) as exc:
        run("--type", "gossip")
    assert exc.value.code == 2

"""One mock interview: the plan, each answer graded with its follow-ups, and the summary by round.

Plain Python with no audio or models: the CLI and the window give it transcripts (from the microphone,
a file or typed text) and it says what the interviewer asks next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from copilot.practice.mock.follow_ups import FollowUp, follow_ups
from copilot.practice.mock.loops import MockQuestion, loops, plan_mock
from copilot.practice.mock.rubric import RedFlag, Score, grade, red_flags
from copilot.practice.mock.signals import analyse


@dataclass(frozen=True)
class Assessment:
    follow_ups: list[FollowUp]
    rubric: dict[str, Score]
    red_flags: list[RedFlag]

    def to_dict(self) -> dict[str, Any]:
        return {
            "follow_ups": [f.text for f in self.follow_ups],
            "follow_up_gaps": [f.gap for f in self.follow_ups],
            "rubric": {k: v.to_dict() for k, v in self.rubric.items()},
            "red_flags": [f.to_dict() for f in self.red_flags],
        }


def assess(
    question: str,
    question_type: str,
    transcript: str,
    duration_s: float | None = None,
    limit: int = 2,
    rambling_s: float | None = None,
) -> Assessment:
    """Follow-ups, rubric and red flags for one answer (the topic card found from the question)."""
    from copilot.practice.mock.loops import topic_for
    from copilot.practice.mock.rubric import RAMBLING_S

    topic = (
        topic_for(question, question_type) if question_type in ("technical", "system_design", "situational") else None
    )
    s = analyse(question_type, transcript, topic, duration_s)
    return Assessment(follow_ups(s, limit), grade(s), red_flags(s, rambling_s or RAMBLING_S))


@dataclass
class AnsweredQuestion:
    question: MockQuestion
    transcript: str
    duration_s: float | None
    assessment: Assessment
    follow_up_answers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.question.round,
            "question": self.question.text,
            "question_type": self.question.question_type,
            "topic": self.question.topic.id if self.question.topic else None,
            "transcript": self.transcript,
            "duration_s": self.duration_s,
            "follow_up_answers": self.follow_up_answers,
            **self.assessment.to_dict(),
        }


class MockInterview:
    """Ask, listen, follow up, grade: one question at a time, in the loop's order."""

    def __init__(self, role: str, level: str, rounds: list[str] | None = None, seed: int | None = None) -> None:
        self.role, self.level = role, level
        self._level = loops().levels[level] if level in loops().levels else None
        self.plan = plan_mock(role, level, rounds, seed)
        self.answered: list[AnsweredQuestion] = []

    @property
    def current(self) -> MockQuestion | None:
        return self.plan[len(self.answered)] if len(self.answered) < len(self.plan) else None

    @property
    def done(self) -> bool:
        return self.current is None

    def answer(self, transcript: str, duration_s: float | None = None) -> AnsweredQuestion:
        """Grade the answer to the current question; its follow-ups are what to ask next."""
        question = self.current
        if question is None:
            raise ValueError("the mock interview is over: every question was answered")
        result = AnsweredQuestion(question, transcript, duration_s, self._assess(question, transcript, duration_s))
        self.answered.append(result)
        return result

    def answer_follow_up(self, transcript: str, duration_s: float | None = None) -> AnsweredQuestion:
        """The follow-up answer is graded with the question: the two answers as one, follow-ups kept."""
        last = self.answered[-1]
        last.follow_up_answers.append(transcript)
        whole = " ".join([last.transcript, *last.follow_up_answers])
        total = None if last.duration_s is None or duration_s is None else last.duration_s + duration_s
        regraded = self._assess(last.question, whole, total)
        # The probes already asked stay; the rubric and flags are those of the fuller answer.
        last.assessment = Assessment(last.assessment.follow_ups, regraded.rubric, regraded.red_flags)
        return last

    def _assess(self, question: MockQuestion, transcript: str, duration_s: float | None) -> Assessment:
        limit = self._level.follow_ups if self._level else 2
        rambling = self._level.answer_minutes * 60 if self._level else None
        return assess(question.text, question.question_type, transcript, duration_s, limit, rambling)

    def summary(self) -> dict[str, Any]:
        """Mean score per round and criterion, every red flag, and the weakest criteria to drill next."""
        by_round: dict[str, dict[str, list[int]]] = {}
        for a in self.answered:
            criteria = by_round.setdefault(a.question.round, {})
            for name, score in a.assessment.rubric.items():
                criteria.setdefault(name, []).append(score.score)
        means = {r: {c: round(sum(v) / len(v), 2) for c, v in crit.items()} for r, crit in by_round.items()}
        flat = sorted((m, c) for crit in means.values() for c, m in crit.items())
        return {
            "role": self.role,
            "level": self.level,
            "questions": len(self.answered),
            "rounds": means,
            "red_flags": [f.id for a in self.answered for f in a.assessment.red_flags],
            "next_drills": list(dict.fromkeys(c for m, c in flat if m < 3))[:3],
        }

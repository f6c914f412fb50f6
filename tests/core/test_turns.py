from fakes import run_stage

from copilot.events import CANDIDATE, INTERVIEWER, AnswerNow, Question, Tick, Transcript
from copilot.live.turns import TurnDetector, reads_as_question


def said(text, t0, t1, final=True, speaker=INTERVIEWER, uid=1):
    return Transcript(uid, speaker, text, final, t0, t1, 0.0)


def finals(questions):
    return [q for q in questions if q.is_final]


def test_question_like_text():
    assert reads_as_question("Tell me about a time you failed.")
    assert reads_as_question("So, how would you design a rate limiter")
    assert reads_as_question("Is that clear?")
    assert not reads_as_question("I'd like to hear about your last project.")
    assert not reads_as_question("Tell me about the")  # trailing off mid-thought
    assert not reads_as_question("So how would you handle that")  # no full stop: may go on
    # Whisper's question mark or full stop ends the sentence, whatever its last word.
    assert reads_as_question("And what changes would you consider after that?")
    assert reads_as_question("Can you tell me more about that.")
    assert reads_as_question("What would that look like.")
    assert not reads_as_question("")


def test_a_question_after_a_clause_or_before_a_fragment_ends_the_turn():
    # What whisper made of the long-turn bench's two-part drift question and rate-limiter question
    # (tune half): both waited the whole merge window after the interviewer stopped.
    assert reads_as_question("Is it drifting? And once you know how would you decide when to retrain it.")
    assert reads_as_question(
        "Right a function not implement, sorry, it limit and up most 100 requests. "
        "The user in its life and wind of one minute."
    )
    # A scenario goes on to its question; a long statement after a question is a new thought.
    assert not reads_as_question("Say you own a fraud model. It was trained a year ago.")
    assert not reads_as_question(
        "Tell me about your last project. Before that, I will explain how the next forty minutes of this "
        "interview are going to go."
    )


def test_question_ends_turn_at_once():
    out = run_stage(TurnDetector(), [said("Tell me about a time you failed.", 0.0, 2.0)])
    assert [(q.text, q.is_final, q.t_end_s) for q in out] == [("Tell me about a time you failed.", True, 2.0)]


def test_partials_give_early_questions_with_the_same_id():
    detector = TurnDetector()
    out = run_stage(
        detector, [said("Tell me about", 0, 1, final=False), said("Tell me about a time you led", 0, 2, final=False)]
    )
    assert [q.is_final for q in out] == [False, False] and len({q.question_id for q in out}) == 1
    final = run_stage(detector, [said("Tell me about a time you led a team.", 0, 3)])
    assert final[0].is_final and final[0].question_id == out[0].question_id


def test_preamble_waits_then_merges_with_the_question():
    detector = TurnDetector(merge_window_s=2.0)
    out = run_stage(
        detector,
        [
            said("I'd like to hear about your last project.", 0.0, 2.0),
            Tick(3.0),  # within the window: keep waiting
            said("What was the hardest part?", 3.2, 4.5),
        ],
    )
    (question,) = finals(out)
    assert question.text == "I'd like to hear about your last project. What was the hardest part?"


def test_preamble_alone_becomes_a_question_after_the_window():
    detector = TurnDetector(merge_window_s=2.0)
    out = run_stage(detector, [said("Let's talk about your experience with Kafka.", 0.0, 2.0), Tick(3.9)])
    assert finals(out) == []
    out = run_stage(detector, [Tick(4.1)])
    assert [q.text for q in finals(out)] == ["Let's talk about your experience with Kafka."]


def test_resumed_question_is_merged_under_a_new_id():
    detector = TurnDetector(merge_window_s=2.0)
    first = finals(run_stage(detector, [said("Tell me about a time you failed.", 0.0, 2.0)]))[0]
    second = finals(run_stage(detector, [said("What did you learn from it?", 2.8, 4.0)]))[0]
    assert second.question_id > first.question_id
    assert second.text == "Tell me about a time you failed. What did you learn from it?"


def test_a_later_question_is_separate():
    detector = TurnDetector(merge_window_s=2.0)
    run_stage(detector, [said("Tell me about a time you failed.", 0.0, 2.0)])
    later = finals(run_stage(detector, [said("Why do you want to join us?", 30.0, 32.0)]))[0]
    assert later.text == "Why do you want to join us?"


def test_candidate_never_triggers_but_ends_a_pending_turn():
    detector = TurnDetector()
    assert run_stage(detector, [said("Well, I think that", 0, 1, speaker=CANDIDATE)]) == []
    out = run_stage(detector, [said("Let's talk about testing.", 2, 3), said("Sure, so", 3.5, 4, speaker=CANDIDATE)])
    assert [q.text for q in finals(out)] == ["Let's talk about testing."]


def test_answer_now_flushes():
    detector = TurnDetector()
    out = run_stage(detector, [said("And your view on", 0, 1, final=False), AnswerNow()])
    assert [q.text for q in finals(out)] == ["And your view on"]
    assert run_stage(detector, [AnswerNow()]) == []  # nothing pending: no empty question


def test_questions_are_questions():
    out = run_stage(TurnDetector(), [said("Explain dropout.", 0, 1)])
    assert isinstance(out[0], Question)


# --- long turns: several utterances, partials in between ------------------------------------------

LONG_PARTS = [
    "Okay, let us switch gears to the design portion.",
    "We run a marketplace for second hand furniture with about eight million listings.",
    "How would you design the search?",
]


def test_a_turn_in_several_utterances_never_takes_in_its_partials():
    """A turn cut in utterances (a 30 s cut, a long breath) with partials and audio ticks between
    them: the question is the finals, each once (the ticks used to flush the partial into the text,
    and every later partial was appended to it again)."""
    detector = TurnDetector(merge_window_s=2.0)
    events: list[object] = [said(LONG_PARTS[0], 0.0, 3.0, uid=1)]
    t = 3.2
    for uid, text in ((2, LONG_PARTS[1]), (3, LONG_PARTS[2])):
        words = text.split()
        for n in range(1, len(words) + 1):
            events += [said(" ".join(words[:n]), t, t + 0.4 * n, final=False, uid=uid), Tick(t + 0.4 * n)]
        t_end = t + 0.4 * len(words)
        events += [said(text, t, t_end, uid=uid), Tick(t_end + 0.1)]
        t = t_end + 0.3
    out = run_stage(detector, events)
    (question,) = finals(out)
    assert question.full_text == " ".join(LONG_PARTS)
    assert question.utterance_ids == (1, 2, 3)
    # The question proper is the design question and the scenario it is about, not the agenda.
    assert question.preamble == LONG_PARTS[0]
    assert question.text == " ".join(LONG_PARTS[1:])


def test_answer_now_mid_utterance_then_the_rest_of_it_reopens_from_the_finals():
    detector = TurnDetector(merge_window_s=2.0)
    run_stage(
        detector, [said(LONG_PARTS[0], 0.0, 3.0, uid=1), said("We run a marketplace", 3.2, 5.0, final=False, uid=2)]
    )
    (early,) = finals(run_stage(detector, [AnswerNow()]))
    assert early.full_text == LONG_PARTS[0] + " We run a marketplace"
    out = run_stage(detector, [said(LONG_PARTS[1], 3.2, 8.0, uid=2), Tick(10.5)])
    (later,) = finals(out)
    assert later.question_id > early.question_id
    assert later.full_text == " ".join(LONG_PARTS[:2])  # the partial is not in it twice


def test_a_revision_replaces_the_last_questions_text_only_while_it_is_current():
    detector = TurnDetector(merge_window_s=2.0)
    (question,) = finals(run_stage(detector, [said("Tell me about a time you failed.", 0.0, 2.0)]))
    revised = detector.revise(question.question_id, "Tell me about a time you failed badly.")
    assert revised is not None and revised.revised and revised.question_id == question.question_id
    assert revised.text == "Tell me about a time you failed badly."
    run_stage(detector, [said("What did you learn?", 2.5, 3.5, final=False, uid=2)])  # the interviewer goes on
    assert detector.revise(question.question_id, "anything") is None

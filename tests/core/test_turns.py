from copilot.events import CANDIDATE, INTERVIEWER, Question, Transcript
from copilot.live.turns import AnswerNow, Tick, TurnDetector, reads_as_question


def said(text, t0, t1, final=True, speaker=INTERVIEWER, uid=1):
    return Transcript(uid, speaker, text, final, t0, t1, 0.0)


def run(detector, events):
    out = []
    for event in events:
        out.extend(detector.process(event))
    return out


def finals(questions):
    return [q for q in questions if q.is_final]


def test_question_like_text():
    assert reads_as_question("Tell me about a time you failed.")
    assert reads_as_question("So, how would you design a rate limiter")
    assert reads_as_question("Is that clear?")
    assert not reads_as_question("I'd like to hear about your last project.")
    assert not reads_as_question("Tell me about the")  # trailing off mid-thought
    assert not reads_as_question("")


def test_question_ends_turn_at_once():
    out = run(TurnDetector(), [said("Tell me about a time you failed.", 0.0, 2.0)])
    assert [(q.text, q.is_final, q.t_end_s) for q in out] == [("Tell me about a time you failed.", True, 2.0)]


def test_partials_give_early_questions_with_the_same_id():
    detector = TurnDetector()
    out = run(
        detector, [said("Tell me about", 0, 1, final=False), said("Tell me about a time you led", 0, 2, final=False)]
    )
    assert [q.is_final for q in out] == [False, False] and len({q.question_id for q in out}) == 1
    final = run(detector, [said("Tell me about a time you led a team.", 0, 3)])
    assert final[0].is_final and final[0].question_id == out[0].question_id


def test_preamble_waits_then_merges_with_the_question():
    detector = TurnDetector(merge_window_s=2.0)
    out = run(
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
    out = run(detector, [said("Let's talk about your experience with Kafka.", 0.0, 2.0), Tick(3.9)])
    assert finals(out) == []
    out = run(detector, [Tick(4.1)])
    assert [q.text for q in finals(out)] == ["Let's talk about your experience with Kafka."]


def test_resumed_question_is_merged_under_a_new_id():
    detector = TurnDetector(merge_window_s=2.0)
    first = finals(run(detector, [said("Tell me about a time you failed.", 0.0, 2.0)]))[0]
    second = finals(run(detector, [said("What did you learn from it?", 2.8, 4.0)]))[0]
    assert second.question_id > first.question_id
    assert second.text == "Tell me about a time you failed. What did you learn from it?"


def test_a_later_question_is_separate():
    detector = TurnDetector(merge_window_s=2.0)
    run(detector, [said("Tell me about a time you failed.", 0.0, 2.0)])
    later = finals(run(detector, [said("Why do you want to join us?", 30.0, 32.0)]))[0]
    assert later.text == "Why do you want to join us?"


def test_candidate_never_triggers_but_ends_a_pending_turn():
    detector = TurnDetector()
    assert run(detector, [said("Well, I think that", 0, 1, speaker=CANDIDATE)]) == []
    out = run(detector, [said("Let's talk about testing.", 2, 3), said("Sure, so", 3.5, 4, speaker=CANDIDATE)])
    assert [q.text for q in finals(out)] == ["Let's talk about testing."]
    assert [t.text for t in detector.candidate_transcripts] == ["Well, I think that", "Sure, so"]


def test_answer_now_flushes():
    detector = TurnDetector()
    out = run(detector, [said("And your view on", 0, 1, final=False), AnswerNow()])
    assert [q.text for q in finals(out)] == ["And your view on"]
    assert run(detector, [AnswerNow()]) == []  # nothing pending: no empty question


def test_questions_are_questions():
    out = run(TurnDetector(), [said("Explain dropout.", 0, 1)])
    assert isinstance(out[0], Question)

from copilot.events import Hit
from copilot.pipeline.cues.composer import MAX_BULLETS, MAX_WORDS, clip_words, compose
from copilot.pipeline.knowledge import frameworks, topics
from copilot.stories.model import Story

STORY = Story.new(
    "cheap-ranker",
    "Halved serving cost with a two-stage ranker",
    competencies=["ownership"],
    sections={
        "situation": "Our GPU bill for recommendations grew to $80k a month. Finance flagged it.",
        "task": "I owned serving cost for the ranking model.",
        "action": "I profiled traffic and found most compute went to losing candidates. "
        "I chose a two-stage design because a cheap filter could drop 90% of candidates.",
        "result": "Latency fell 64% and cost halved, with offline metrics within 0.5%.",
        "lessons": "Profile before optimising.",
    },
)


def _all_words_ok(bullets):
    return all(len(b.split()) <= MAX_WORDS for b in bullets) and len(bullets) <= MAX_BULLETS


def test_behavioral_bullets_use_the_story_facts():
    bullets = compose(frameworks()["behavioral"], [Hit("story", STORY.id, STORY.title, 0.9, STORY)], [])
    assert _all_words_ok(bullets)
    joined = " ".join(bullets)
    assert "two-stage" in joined  # the decision
    assert "64%" in joined  # the result's number
    assert bullets[0].startswith("Story:")


def test_technical_bullets_use_the_topic_key_points():
    topic = next(t for t in topics() if t.id == "l1-vs-l2")
    bullets = compose(frameworks()["technical"], [], [Hit("topic", topic.id, topic.title, 0.8, topic)])
    assert _all_words_ok(bullets)
    assert any(clip_words(point) in bullets for point in topic.key_points)


def test_without_sources_the_framework_steps_show():
    bullets = compose(frameworks()["closing"], [], [])
    assert bullets and _all_words_ok(bullets)
    assert bullets[0] == clip_words(frameworks()["closing"].steps[0])


def test_clip_prefers_a_clause_boundary():
    text = "I chose a two-stage design, because a cheap filter could drop most candidates before ranking"
    assert clip_words(text) == "I chose a two-stage design"
    assert len(clip_words("word " * 30).split()) == MAX_WORDS

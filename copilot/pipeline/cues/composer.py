"""Instant, grounded cue bullets: the framework filled with the best story's or topic's own facts.

No model is involved, so these appear the moment the cards do and can never invent a number.
Every bullet is at most MAX_WORDS words, compressed rather than cut (copilot.pipeline.cues.compress), so it can be
read at a glance mid-answer; near-duplicates are dropped and a part the story lacks is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from copilot.events import Hit
from copilot.pipeline.cues.compress import compress
from copilot.pipeline.cues.cue_checks import near_duplicate
from copilot.pipeline.cues.guard import extract_numbers
from copilot.pipeline.keyword_search import tokenize
from copilot.pipeline.knowledge import Framework, Topic
from copilot.stories.model import Story
from copilot.wording import NUMBER

MAX_BULLETS = 5
MAX_WORDS = 12

ALSO_MIN_SHARED_TERMS = 2

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LABEL = re.compile(r"^[A-Z][A-Za-z ]{0,20}: ")
_HAS_NUMBER = NUMBER  # one definition of a number for the coach, the feedback and the cues
_DECISION = re.compile(
    r"\b(chose|decided|proposed|picked|opted|prioriti[sz]ed|pushed for|traded|recommended|switched)\b", re.I
)
_REASON = re.compile(r"\b(because|so that|since|to avoid|in order to|which meant)\b", re.I)


def compose(
    framework: Framework | None, stories: Iterable[Hit], topics: Iterable[Hit], question: str = ""
) -> list[str]:
    story = next((h.item for h in stories), None)
    topic_hits = list(topics)
    if framework is None:
        return []
    if framework.id == "behavioral" and story is not None:
        return _distinct(_story_bullets(story))
    if framework.id == "motivation" and story is not None:
        bullets = [*framework.steps[:3], f"Proof point: {story.title}"]
    elif topic_hits:
        bullets = _topic_bullets(framework, topic_hits, question)
    else:
        bullets = list(framework.steps)
    return _finish(bullets)


# A story's cues, most important first: what must survive when there are more than MAX_BULLETS.
_STORY_PRIORITY = ("Story", "Result", "Decision", "Why", "Lesson", "Context", "Task")
# ... and the order they are told in.
_STORY_ORDER = ("Story", "Context", "Task", "Decision", "Why", "Result", "Lesson")


def _story_bullets(story: Story) -> list[str]:
    """Story, context, decision and its reason, result (with its numbers), lesson: each from the story's
    own words, compressed. A part the story lacks is left out, never filled with template text."""
    cues: dict[str, str] = {"Story": _cue("Story", story.title)}
    cues["Context"] = _cue("Context", _first_sentence(story.section("situation")))
    cues["Task"] = _cue("Task", _first_sentence(story.section("task")))
    action = story.section("action")
    decision = _best_sentence(action, (_DECISION, _REASON)) or _first_sentence(action)
    what, why = _split_reason(decision)
    cues["Decision"] = _cue("Decision", what)
    cues["Why"] = _cue("Why", why)
    result = _most_numbers(story.section("result")) or _first_sentence(story.section("result"))
    cues["Result"] = _cue("Result", result, prefer=_HAS_NUMBER)
    cues["Lesson"] = _cue("Lesson", _first_sentence(story.section("lessons")))
    kept = [label for label in _STORY_PRIORITY if cues.get(label)]
    kept = _without_near_duplicates(kept, cues)[:MAX_BULLETS]
    return [cues[label] for label in _STORY_ORDER if label in kept]


def _cue(label: str, text: str, prefer: re.Pattern[str] | None = None) -> str:
    """`label: text` compressed to MAX_WORDS; "" when too little is left to be a cue."""
    body = compress(text, MAX_WORDS - 1, prefer)
    return f"{label}: {body}" if len(body.split()) >= 2 else ""


def _split_reason(sentence: str) -> tuple[str, str]:
    """("I chose shadow mode over a canary", "approval decisions are hard to reverse"), or (sentence, "")
    when the reason fits in one cue with the decision or there is none."""
    match = _REASON.search(sentence)
    if not match or len(sentence.split()) <= MAX_WORDS - 1:
        return sentence, ""
    return sentence[: match.start()].rstrip(" ,;"), sentence[match.end() :].strip()


def _without_near_duplicates(labels: list[str], cues: dict[str, str]) -> list[str]:
    kept: list[str] = []
    for label in labels:
        if not any(near_duplicate(cues[label], cues[earlier]) for earlier in kept):
            kept.append(label)
    return kept


def _distinct(bullets: list[str]) -> list[str]:
    return list(dict.fromkeys(b for b in bullets if b))


def _topic_bullets(framework: Framework, hits: list[Hit], question: str) -> list[str]:
    best: Topic = hits[0].item
    # Open with the framework's first move (e.g. "constraints first"), then the points this question asks.
    bullets = [framework.steps[0], *_points_for(best, question)]
    second = hits[1].item if len(hits) > 1 else None
    if second is not None and _shares_enough(second, question):
        bullets.append(f"Also: {second.title}")
    elif best.pitfall:
        bullets.append(best.pitfall)
    return bullets


def _points_for(topic: Topic, question: str, count: int = 3) -> list[str]:
    """The key points that share most terms with the question (ties: the card's order), in card order."""
    asked = set(tokenize(question))
    scored = sorted(range(len(topic.key_points)), key=lambda i: (-len(asked & set(tokenize(topic.key_points[i]))), i))
    return [topic.key_points[i] for i in sorted(scored[:count])]


def _shares_enough(topic: Topic, question: str) -> bool:
    """An "Also:" card must be about the question, not share one word with it ("batch" norm / batching)."""
    shared = set(tokenize(question)) & set(tokenize(" ".join((topic.title, *topic.keywords))))
    return len(shared) >= ALSO_MIN_SHARED_TERMS


def _finish(bullets: list[str]) -> list[str]:
    out: list[str] = []
    for bullet in bullets:
        clipped = clip_words(bullet)
        if clipped and clipped not in out and not any(near_duplicate(clipped, b) for b in out):
            out.append(clipped)
    return out[:MAX_BULLETS]


def clip_words(text: str, limit: int = MAX_WORDS) -> str:
    """Shorten to at most `limit` words by compressing (copilot.pipeline.cues.compress), never ending mid-phrase.

    A leading label such as "Result:" is kept whole and the compression applies to what follows it.
    """
    text = " ".join(text.split())
    label, _, body = text.partition(": ") if _LABEL.match(text) else ("", "", text)
    prefix = f"{label}: " if label else ""
    return (prefix + compress(body, limit - len(prefix.split()), _HAS_NUMBER)).rstrip(" .;,")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def _first_sentence(text: str) -> str:
    sentences = _sentences(text)
    return sentences[0] if sentences else ""


def _most_numbers(text: str) -> str:
    """The result sentence with the most numbers (the headline: "F1 rose from 0.71 to 0.79"), or ""."""
    # Figures written in digits ("70%", "$18") weigh more than number words ("four engineers").
    scored = [
        (sum(1 + any(c.isdigit() for c in n.text) for n in extract_numbers(s)), -i, s)
        for i, s in enumerate(_sentences(text))
    ]
    scored = [x for x in scored if x[0] > 0]
    return max(scored)[2] if scored else ""


def _best_sentence(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    """The sentence matching the most patterns (ties: the earliest), or "" when none matches."""
    scored = [(sum(bool(p.search(s)) for p in patterns), -i, s) for i, s in enumerate(_sentences(text))]
    scored = [x for x in scored if x[0] > 0]
    return max(scored)[2] if scored else ""

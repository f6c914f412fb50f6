"""What goes into the index: a story, topic or framework turned into the documents Chroma embeds.

Kept out of the Chroma adapter so the adapter stores any documents and knows nothing of stories.
"""

from __future__ import annotations

from collections.abc import Iterable

from copilot.adapters.index import Doc
from copilot.pipeline.knowledge import Framework, Topic
from copilot.stories.model import Story

STORY_PARTS = ("situation", "task", "action", "result", "lessons")


def story_docs(stories: Iterable[Story]) -> list[Doc]:
    """A story is indexed whole (for the gist) and by section (so a match on the Action counts)."""
    docs = []
    for story in stories:
        whole = f"{story.title}\n{' '.join(story.competencies)}\n{_story_body(story)}"
        docs.append(Doc(f"story:{story.id}", whole, {"story_id": story.id, "part": "whole", "title": story.title}))
        for part in STORY_PARTS:
            text = story.section(part)
            if text:
                meta = {"story_id": story.id, "part": part, "title": story.title}
                docs.append(Doc(f"story:{story.id}:{part}", f"{story.title}\n{text}", meta))
        # The title and tags alone: what the user says the story is about, undiluted by its details.
        title = f"{story.title}. {', '.join(story.competencies)}".rstrip(". ")
        meta = {"story_id": story.id, "part": "title", "title": story.title}
        docs.append(Doc(f"story:{story.id}:title", title, meta))
    return docs


def _story_body(story: Story) -> str:
    return "\n".join(story.section(p) for p in STORY_PARTS)


def topic_docs(topics: Iterable[Topic]) -> list[Doc]:
    return [
        Doc(f"topic:{t.id}", t.text(), {"topic_id": t.id, "title": t.title, "types": ",".join(t.types)}) for t in topics
    ]


def framework_docs(frameworks: Iterable[Framework]) -> list[Doc]:
    return [Doc(f"framework:{f.id}", f.text(), {"framework_id": f.id, "title": f.title}) for f in frameworks]

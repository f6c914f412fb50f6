"""The STAR story library: Markdown files with YAML front matter, parsed, coached and saved losslessly.

The files are the source of truth (DESIGN.md, "Story format"); the search index is derived from them.
"""

from copilot.stories.coach import Finding, coach, score, summary
from copilot.stories.library import (
    ExportReport,
    ImportReport,
    LibraryLoad,
    LoadProblem,
    export_stories,
    import_stories,
    load_library,
    new_story_file,
)
from copilot.stories.model import Story
from copilot.stories.parse import StoryParseError, load_story, parse_story
from copilot.stories.write import render_story, save_story

__all__ = [
    "ExportReport",
    "Finding",
    "ImportReport",
    "LibraryLoad",
    "LoadProblem",
    "Story",
    "StoryParseError",
    "coach",
    "export_stories",
    "import_stories",
    "load_library",
    "load_story",
    "new_story_file",
    "parse_story",
    "render_story",
    "save_story",
    "score",
    "summary",
]

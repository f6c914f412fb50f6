"""`copilot index rebuild|status`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict

from copilot.adapters.embedding import OnnxEmbedder
from copilot.adapters.index import ChromaIndex, check_room, delete_index
from copilot.composition import index_folder_for, resolve_library, sync_index
from copilot.config import models
from copilot.config.settings import load_settings
from copilot.pipeline import knowledge
from copilot.pipeline.documents import framework_docs, story_docs, topic_docs


def index_command(action: str, stories_option: str | None, as_json: bool, progress: Callable[[str], None]) -> int:
    settings = load_settings()
    library = resolve_library(stories_option, progress)
    folder = index_folder_for(library.folder)
    if action == "rebuild" and folder.exists():
        docs = len(story_docs(library.stories)) + len(knowledge.topics()) + len(knowledge.frameworks())
        check_room(folder, docs)  # on a full disk, keep the old index rather than delete it and fail
        delete_index(folder)
    embedder = OnnxEmbedder(models.embedding_model(settings.models.embedding).path, models.embedding_tokenizer().path)
    with ChromaIndex(folder, embedder, progress=progress) as index:
        if action == "rebuild":
            reports = {name: asdict(r) for name, r in sync_index(index, library.stories).items()}
            row = {
                "action": "rebuild",
                "index": str(folder),
                "stories_dir": str(library.folder),
                "collections": reports,
            }
        else:
            row = _status(index, library.stories, str(folder), str(library.folder))
    row["story_errors"] = library.errors
    if as_json:
        print(json.dumps(row))
    else:
        _print_human(row)
    return 1 if library.errors else 0


def _status(index: ChromaIndex, stories: list, folder: str, stories_dir: str) -> dict:
    wanted = {
        "stories": story_docs(stories),
        "topics": topic_docs(knowledge.topics()),
        "frameworks": framework_docs(knowledge.frameworks().values()),
    }
    collections = {}
    for name, docs in wanted.items():
        changed, removed, _ = index.plan(name, docs)
        collections[name] = {"documents": index.count(name), "stale": len(changed), "orphaned": len(removed)}
    up_to_date = all(c["stale"] == 0 and c["orphaned"] == 0 for c in collections.values())
    return {
        "action": "status",
        "index": folder,
        "stories_dir": stories_dir,
        "up_to_date": up_to_date,
        "collections": collections,
    }


def _print_human(row: dict) -> None:
    print(f"index: {row['index']}\nstories: {row['stories_dir']}")
    for name, info in row["collections"].items():
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    if row["action"] == "status":
        print(
            "up to date"
            if row["up_to_date"]
            else "out of date: it updates on the next rehearse, or run `copilot index rebuild`"
        )
    for error in row["story_errors"]:
        print(f"  skipped: {error}")

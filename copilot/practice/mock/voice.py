"""The interviewer's voice: a question spoken by espeak-ng (local, offline) into a wav file.

The wav is written next to its final name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

VOICE = "en-us"
WPM = 150  # an interviewer's calm pace; the drill speaks at the same rate


class VoiceUnavailable(RuntimeError):
    """No local text-to-speech engine: the question is shown as text instead."""


def tts_engine() -> str | None:
    return shutil.which("espeak-ng")


def speak_to_wav(text: str, path: Path) -> Path:
    """Write `text` spoken aloud to `path` (atomic); VoiceUnavailable without espeak-ng."""
    exe = tts_engine()
    if exe is None:
        raise VoiceUnavailable("espeak-ng is not installed; install it (apt-get install espeak-ng) to hear questions")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".wav", dir=path.parent)
    os.close(fd)
    try:
        done = subprocess.run(
            [exe, "-v", VOICE, "-s", str(WPM), "-w", tmp, text], capture_output=True, timeout=60, check=False
        )
        if done.returncode != 0 or os.path.getsize(tmp) == 0:
            raise VoiceUnavailable(f"espeak-ng failed: {done.stderr.decode(errors='replace').strip() or 'no audio'}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path

"""The live path: audio frames to utterances to streaming transcripts (DESIGN.md, "The core, as stages and events").

Nothing here imports faster_whisper or onnxruntime at import time; the Silero detector loads them
when it is constructed.
"""

from copilot.events import SpeechPaused
from copilot.live.segmenter import Segmenter, SegmenterOptions
from copilot.live.streaming import DecodeStats, StreamingOptions, StreamingTranscriber
from copilot.live.vad import EnergySpeechDetector, SileroSpeechDetector, SpeechDetector

__all__ = [
    "DecodeStats",
    "EnergySpeechDetector",
    "Segmenter",
    "SegmenterOptions",
    "SileroSpeechDetector",
    "SpeechDetector",
    "SpeechPaused",
    "StreamingOptions",
    "StreamingTranscriber",
]

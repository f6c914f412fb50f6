"""Audio: decoding files, and (live path) capture sources behind one Protocol."""

SAMPLE_RATE = 16_000  # what whisper and Silero VAD expect

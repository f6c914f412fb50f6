"""Interview Copilot core: headless, no Qt.

Heavy libraries (faster_whisper, chromadb, llama_cpp, sounddevice, onnxruntime) are imported lazily
inside the adapters that need them, so `import copilot` stays fast and a test can prove it.
"""

__version__ = "0.1.0"

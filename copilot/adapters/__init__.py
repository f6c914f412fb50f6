"""The heavy libraries (faster-whisper, the ONNX embedder, Chroma) behind small interfaces."""

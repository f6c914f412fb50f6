"""ONNX Runtime (MiniLM embeddings and faster-whisper's VAD): the pybind module and the shared libs.

`onnxruntime.capi` loads `libonnxruntime_providers_shared` by path at session start, which the
import analysis cannot see.
"""

from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("onnxruntime")
hiddenimports = ["onnxruntime.capi._pybind_state"]
# The tools and transformers optimisers pull in torch, onnx and more; the runtime never imports them.
excludedimports = ["onnxruntime.tools", "onnxruntime.transformers", "onnxruntime.quantization", "torch", "onnx"]

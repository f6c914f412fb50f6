"""llama-cpp-python: libllama and the ggml libraries are loaded with ctypes from `llama_cpp/lib/`.

ctypes loads are invisible to the import analysis, so the libraries are collected as binaries at
the same relative place (`_ctypes_extensions.py` looks next to its own `__file__`). Only the
unversioned names are taken: those are what llama_cpp opens, and the binary analysis then adds the
`.so.0` sonames they link against. The wheel holds each library three times (symlinks become copies
in a wheel); the fully versioned copy is used by nothing.
"""

import os
import re

from PyInstaller.utils.hooks import get_package_paths

_, _package_dir = get_package_paths("llama_cpp")
_lib = os.path.join(_package_dir, "lib")
binaries = [
    (os.path.join(_lib, name), "llama_cpp/lib")
    for name in sorted(os.listdir(_lib))
    if re.fullmatch(r"lib[\w.-]+?\.(so|dylib)|[\w.-]+\.dll", name)
]

# The OpenAI-compatible server (uvicorn, fastapi, sse-starlette) is not used by the app.
excludedimports = ["llama_cpp.server"]

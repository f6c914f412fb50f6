"""CTranslate2 (faster-whisper's engine): its native library and the OpenMP runtime it ships.

The Linux wheel keeps libctranslate2 and libgomp in `ctranslate2.libs/` (auditwheel), found by the
extension through an rpath. They are collected explicitly at that same relative place, so the
bundle does not depend on binary analysis resolving the rpath (it does not on every platform).
"""

import os

from PyInstaller.utils.hooks import collect_dynamic_libs, get_package_paths

binaries = collect_dynamic_libs("ctranslate2")

_site_packages, _ = get_package_paths("ctranslate2")
_libs = os.path.join(_site_packages, "ctranslate2.libs")
if os.path.isdir(_libs):
    binaries += [(os.path.join(_libs, name), "ctranslate2.libs") for name in sorted(os.listdir(_libs))]

# The converters (Transformers, OpenNMT, fairseq, ...) import their frameworks lazily and only to
# convert models; running an already converted whisper model needs none of them.
excludedimports = ["torch", "transformers", "tensorflow", "opennmt", "fairseq", "sentencepiece", "onmt"]

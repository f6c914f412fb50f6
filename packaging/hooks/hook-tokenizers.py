"""Hugging Face tokenizers: the Python wrappers re-export from the Rust extension module by name."""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("tokenizers")

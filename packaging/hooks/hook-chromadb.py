"""Chroma (the story and card index): components are imported by dotted name from its Settings.

`chromadb.config.System` instantiates the API, telemetry, segment manager, executor, quota and
rate-limit classes from strings ("chromadb.api.rust.RustBindingsAPI", "chromadb.telemetry.product.
posthog.Posthog", ...), which the import analysis cannot follow: every submodule is collected, except
the parts that only a Chroma server or its tests use. Those are only left out of the hidden imports;
anything the kept modules import statically is still bundled.
"""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

# The HTTP server, its CLI and the test suite pull in uvicorn, typer and hypothesis.
_SERVER_ONLY = ("chromadb.test", "chromadb.server", "chromadb.cli", "chromadb.app")


def _wanted(name: str) -> bool:
    return not any(name == prefix or name.startswith(prefix + ".") for prefix in _SERVER_ONLY)


hiddenimports = collect_submodules("chromadb", filter=_wanted)
# The Rust core is a separate top-level extension module, imported from chromadb.api.rust.
hiddenimports += ["chromadb_rust_bindings"]
# The SQLite migrations (*.sql, read by path), the logging config and the embedding-function schemas.
datas = collect_data_files("chromadb", excludes=["test/**", "**/*.ipynb", "**/*.md", "**/*.pyi", "py.typed"])

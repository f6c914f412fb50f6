"""The desktop UI (PySide6): a thin layer over the `copilot` core. The core never imports this package."""

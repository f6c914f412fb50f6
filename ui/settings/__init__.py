"""The settings dialog, its TOML store and the Get models page."""

"""Settings, paths, models and secrets: the only code that reads TOML, the environment or the keychain."""

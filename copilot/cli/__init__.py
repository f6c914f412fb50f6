"""The `copilot` command: one module per subcommand; `main` parses and dispatches."""

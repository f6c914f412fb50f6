"""Retrieved knowledge to a few short cue bullets: the composer, the optional LLM rewrite and its guard."""

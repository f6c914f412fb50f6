"""What every window shares: the Qt bridge to the core, the theme, widgets, the Qt version check."""

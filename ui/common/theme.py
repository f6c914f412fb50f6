"""The app's two looks, dark and light, applied app-wide.

Every window is styled in its own dark style sheet (ui/common/widgets.py STYLE plus the window's additions).
A theme is a colour map over those sheets, so the windows stay unaware of it: `apply_theme("light")`
sets the application palette (for dialogs and widgets without a sheet), rewrites the sheet of every
open window through the map, and an event filter does the same for each window opened later, on its
first show, before it is painted. The dark theme is the identity map: the sheets as written.

"system" follows the OS colour scheme where Qt can read it, else dark (the look the app was drawn in).
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

DARK, LIGHT = "dark", "light"

# Each colour of the dark sheets and its light counterpart, by role. Colours not listed here are
# mirrored in lightness (see _mirror), which keeps their hue.
LIGHT_COLORS = {
    # backgrounds, from the window to raised surfaces
    "#1e2126": "#f3f4f6",  # window
    "#23272d": "#ffffff",  # text panes, pages
    "#262a30": "#ffffff",  # toolbar, status bar, cards
    "#2b3037": "#ffffff",  # combo boxes, progress troughs
    "#23303d": "#eaf1fa",  # the bullets box, info frames
    "#2f4560": "#d4e3f5",  # list selection
    "#343a42": "#e6e9ed",  # buttons, toolbar hover
    "#3d444d": "#d9dde2",  # button hover
    # borders
    "#33383f": "#d6dae0",
    "#353b43": "#d6dae0",
    "#3a4048": "#c3c9d1",
    "#454c55": "#b8bfc8",
    # accent (white text sits on it)
    "#3d5a80": "#3b6aa5",
    "#4d6b91": "#5b8ac4",
    "#eef3f8": "#ffffff",
    # text, strongest first
    "#f2f4f7": "#111418",
    "#d8dde3": "#1f2328",
    "#dce8f5": "#1c3552",
    "#a9b0b9": "#48505a",
    "#8d96a0": "#5a636e",
    "#7c838c": "#67707a",
    "#6b717a": "#9aa1a9",  # disabled
    # signal colours, darkened to read on white
    "#7fa7d4": "#2a64a8",
    "#e0b070": "#8f5b00",
    "#d7b65a": "#8a6a00",
    "#5fb37a": "#2e8a4c",
    "#e06c6c": "#c0392b",
    "#ffdede": "#7a1f1f",  # banner text
    "#5a2a2a": "#fde8e8",  # banner background
    "#8a3b3b": "#c0504d",  # banner border, the recording button
    "#a04848": "#a83c3a",
    "#fff": "#ffffff",
    "#ffffff": "#ffffff",
}
_HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_BASE_SHEET = "copilotBaseStyleSheet"  # a window's own (dark) sheet, kept as a dynamic property
_SHEET_THEME = "copilotTheme"  # the theme its sheet was last rewritten for

_current = DARK


def resolve(name: str) -> str:
    """The look for a settings value: "system" asks the OS; anything but "light" means dark."""
    if name == "system":
        app = QGuiApplication.instance()
        scheme = app.styleHints().colorScheme() if isinstance(app, QGuiApplication) else None
        return LIGHT if scheme == Qt.ColorScheme.Light else DARK
    return LIGHT if name == LIGHT else DARK


def current_theme() -> str:
    return _current


def tone(color: str, theme: str | None = None) -> str:
    """A colour written for the dark look, as it should be in `theme` (default: the current one).

    For colours inside rich text (inline `style='color:…'`), which style sheets do not reach.
    """
    if (theme or _current) != LIGHT:
        return color
    return LIGHT_COLORS.get(color.lower()) or _mirror(color)


def translate(sheet: str, theme: str) -> str:
    """A dark style sheet rewritten for `theme`."""
    if theme != LIGHT:
        return sheet
    # Images (arrows, ticks) have a light set beside the dark one, drawn in the light theme's colours.
    return _HEX.sub(lambda m: tone(m.group(0), LIGHT), sheet).replace("/icons/dark/", "/icons/light/")


def palette(theme: str) -> QPalette:
    """The application palette: what widgets without a sheet (file dialogs, tooltips, menus) use."""
    c = {name: QColor(tone(dark, theme)) for name, dark in _PALETTE_ROLES.items()}
    pal = QPalette()
    roles = QPalette.ColorRole
    for role, name in (
        (roles.Window, "window"),
        (roles.WindowText, "text"),
        (roles.Base, "base"),
        (roles.AlternateBase, "raised"),
        (roles.Text, "text"),
        (roles.Button, "button"),
        (roles.ButtonText, "text"),
        (roles.BrightText, "strong"),
        (roles.Highlight, "accent"),
        (roles.HighlightedText, "on_accent"),
        (roles.ToolTipBase, "raised"),
        (roles.ToolTipText, "text"),
        (roles.PlaceholderText, "muted"),
        (roles.Link, "link"),
        (roles.Mid, "border"),
        (roles.Dark, "border"),
    ):
        pal.setColor(role, c[name])
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        pal.setColor(disabled, role, c["disabled"])
    return pal


_PALETTE_ROLES = {
    "window": "#1e2126",
    "base": "#23272d",
    "raised": "#262a30",
    "button": "#343a42",
    "border": "#3a4048",
    "text": "#d8dde3",
    "strong": "#f2f4f7",
    "muted": "#8d96a0",  # placeholders: 4.5:1 on the text panes
    "disabled": "#6b717a",
    "accent": "#3d5a80",
    "on_accent": "#eef3f8",
    "link": "#7fa7d4",
}


def apply_theme(name: str, app: QApplication | None = None) -> str:
    """Apply a settings theme ("dark", "light", "system") to the whole app now; returns dark or light."""
    global _current
    app = app or QApplication.instance()  # type: ignore[assignment]
    theme = resolve(name)
    _current = theme
    if not isinstance(app, QApplication):
        return theme  # no app yet (a headless caller): windows are themed when shown
    app.setPalette(palette(theme))
    for widget in app.topLevelWidgets():
        restyle(widget)
    return theme


def restyle(widget: QWidget) -> None:
    """Rewrite one window's own sheet for the current theme (idempotent)."""
    if widget.property(_SHEET_THEME) == _current:
        return
    base = widget.property(_BASE_SHEET)
    if base is None:
        base = widget.styleSheet()
        widget.setProperty(_BASE_SHEET, base)
    if base:
        widget.setStyleSheet(translate(str(base), _current))
    widget.setProperty(_SHEET_THEME, _current)


def set_window_sheet(window: QWidget, sheet: str) -> None:
    """A window's own (dark) style sheet, shown in the current theme.

    Each window calls this once it is built, instead of setStyleSheet. (An application-wide event
    filter that themed windows on their first show ran Python on every Qt event: a replayed
    interview's longest GUI stall went from about 35 ms to 55-63 ms.)
    """
    window.setProperty(_BASE_SHEET, sheet)
    if sheet:
        window.setStyleSheet(translate(sheet, _current))
    window.setProperty(_SHEET_THEME, _current)


def _mirror(color: str) -> str:
    """Same hue and saturation, lightness mirrored: a fallback for colours the map does not list."""
    qcolor = QColor(color)
    if not qcolor.isValid():
        return color
    h, s, lightness, a = qcolor.getHsl()
    return QColor.fromHsl(max(h, 0), s, 255 - lightness, a).name()

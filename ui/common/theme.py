"""The app's two looks, dark and light, applied app-wide.

Colours are named tokens (`TOKENS`: a role, its dark and its light colour). Every window is styled in
its own style sheet (ui/common/widgets.py STYLE plus the window's additions) that names colours as
`@token`, so the windows stay unaware of the theme: `apply_theme("light")` sets the application
palette (for dialogs and widgets without a sheet) and rewrites the sheet of every open window for the
theme; `set_window_sheet` does the same for a window built later. Rich text and painters ask for a
token's colour with `color(name)`. Hex literals in a sheet still work (read as the dark colour, mapped
to its token's light one) for windows not yet moved to tokens.

"system" follows the OS colour scheme where Qt can read it, else dark (the look the app was drawn in).
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

DARK, LIGHT = "dark", "light"

# The colour tokens: name -> (dark, light). Sheets name a colour by its token (`color: @text_muted;`),
# rich text and painters ask for it (`color("warning")`). Names say the role, not the hue, so a window
# picks by what the colour is for and both themes follow. Add a token here rather than a hex literal.
TOKENS: dict[str, tuple[str, str]] = {
    # backgrounds, from the window to raised surfaces
    "window": ("#1e2126", "#f3f4f6"),  # the window, panel hosts, splitter handles, scroll troughs
    "pane": ("#23272d", "#ffffff"),  # text panes, inputs, lists, tab pages
    "surface": ("#262a30", "#ffffff"),  # toolbar, status bar, cards, tabs, metric boxes
    "control": ("#2b3037", "#ffffff"),  # combo and spin boxes, progress troughs, disabled buttons
    "callout": ("#23303d", "#eaf1fa"),  # the bullets box, info frames
    "selection": ("#2f4560", "#d4e3f5"),  # selected list rows, a focused check box
    "button": ("#343a42", "#e6e9ed"),  # buttons, toolbar hover
    "button_hover": ("#3d444d", "#d9dde2"),
    # borders, faintest first
    "divider": ("#33383f", "#d6dae0"),  # pane and list borders, the toolbar's and status bar's lines
    "border_soft": ("#353b43", "#d6dae0"),  # cards, findings, disabled controls
    "border": ("#3a4048", "#c3c9d1"),  # inputs, scroll handles, separators
    "border_strong": ("#454c55", "#b8bfc8"),  # buttons, spin boxes
    # accent (on_accent text sits on it)
    "accent": ("#3d5a80", "#3b6aa5"),  # chips, checked tool buttons, primary buttons, text selection
    "accent_hover": ("#4d6b91", "#5b8ac4"),  # a hovered card, the primary button's border
    "on_accent": ("#eef3f8", "#ffffff"),
    # text, strongest first
    "text_strong": ("#f2f4f7", "#111418"),  # questions, titles, scores
    "text": ("#d8dde3", "#1f2328"),  # body text
    "callout_text": ("#dce8f5", "#1c3552"),  # text in a callout; the primary button's focus ring
    "text_secondary": ("#a9b0b9", "#48505a"),  # field labels, notes, the status bar
    "text_muted": ("#8d96a0", "#5a636e"),  # section titles, hints, placeholders: 4.5:1 on panes
    "text_faint": ("#7c838c", "#67707a"),
    "text_disabled": ("#6b717a", "#9aa1a9"),
    # signal colours (the light ones darkened to read on white)
    "focus": ("#7fa7d4", "#2a64a8"),  # focus rings, checked boxes
    "link": ("#7fa7d4", "#2a64a8"),  # links, card kinds, "info" marks
    "warning": ("#e0b070", "#8f5b00"),  # warnings, pitfalls, coverage gaps
    "caution": ("#d7b65a", "#8a6a00"),  # a "fair" score, a drafted story
    "success": ("#5fb37a", "#2e8a4c"),  # a "strong" score, a tick, progress
    "danger": ("#e06c6c", "#c0392b"),  # errors, a "weak" score, an invalid field
    "emphasis": ("#d9b36c", "#926c26"),  # the mock interviewer's follow-up
    "alarm": ("#e06c75", "#931f29"),  # a timer past its limit
    # the error banner and the recording button
    "banner_text": ("#ffdede", "#7a1f1f"),
    "banner_bg": ("#5a2a2a", "#fde8e8"),
    "banner_border": ("#8a3b3b", "#c0504d"),  # also the recording button's fill
    "recording_border": ("#a04848", "#a83c3a"),
    "on_danger": ("#ffffff", "#ffffff"),  # text on the recording button
}
_TOKEN = re.compile(r"@([a-z][a-z0-9_]*)")

# Hex literals still written in dark sheets (windows not yet moved to tokens) and their light
# counterpart: the tokens' pairs. Colours not listed are mirrored in lightness (see _mirror).
LIGHT_COLORS = {dark: light for dark, light in TOKENS.values()} | {"#fff": "#ffffff"}
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


def color(token: str, theme: str | None = None) -> str:
    """A token's colour in `theme` (default: the current one), as #rrggbb.

    For colours a style sheet does not reach: inline `style='color:…'` in rich text, a QBrush.
    """
    try:
        dark, light = TOKENS[token]
    except KeyError:
        raise KeyError(f"no colour token {token!r}: the tokens are TOKENS in ui/common/theme.py") from None
    return light if (theme or _current) == LIGHT else dark


def tone(color: str, theme: str | None = None) -> str:
    """A hex colour written for the dark look, as it should be in `theme` (default: the current one).

    For windows not yet moved to tokens; new code names a token with `color()`.
    """
    if (theme or _current) != LIGHT:
        return color
    return LIGHT_COLORS.get(color.lower()) or _mirror(color)


def translate(sheet: str, theme: str) -> str:
    """A style sheet with its `@token`s (and any dark hex literals) written out for `theme`."""
    if theme == LIGHT:  # hex literals first: a token's light colour must not be mapped again
        # Images (arrows, ticks) have a light set beside the dark one, drawn in the light theme's colours.
        sheet = _HEX.sub(lambda m: tone(m.group(0), LIGHT), sheet).replace("/icons/dark/", "/icons/light/")
    return _TOKEN.sub(lambda m: color(m.group(1), theme), sheet)


def palette(theme: str) -> QPalette:
    """The application palette: what widgets without a sheet (file dialogs, tooltips, menus) use."""
    pal = QPalette()
    roles = QPalette.ColorRole
    for role, token in (
        (roles.Window, "window"),
        (roles.WindowText, "text"),
        (roles.Base, "pane"),
        (roles.AlternateBase, "surface"),
        (roles.Text, "text"),
        (roles.Button, "button"),
        (roles.ButtonText, "text"),
        (roles.BrightText, "text_strong"),
        (roles.Highlight, "accent"),
        (roles.HighlightedText, "on_accent"),
        (roles.ToolTipBase, "surface"),
        (roles.ToolTipText, "text"),
        (roles.PlaceholderText, "text_muted"),  # 4.5:1 on the text panes
        (roles.Link, "link"),
        (roles.Mid, "border"),
        (roles.Dark, "border"),
    ):
        pal.setColor(role, QColor(color(token, theme)))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        pal.setColor(disabled, role, QColor(color("text_disabled", theme)))
    return pal


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
    hue = max(qcolor.hslHue(), 0)  # -1 for a grey
    return QColor.fromHsl(hue, qcolor.hslSaturation(), 255 - qcolor.lightness(), qcolor.alpha()).name()

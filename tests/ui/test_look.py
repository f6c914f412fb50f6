"""What the user sees: text readable against its background (WCAG contrast >= 4.5:1) in both themes,
disabled controls that look disabled, focus that shows (issue 9, item 7 and "Accessibility").

Contrast is measured on the rendered window, not guessed from the sheets: each text widget's area is
cut from a grab of its window, its background is the area's most common colour and its text the
pixel farthest from it (a glyph's stem, drawn in the full text colour)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re  # noqa: E402
import shutil  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QRect  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QListWidget,
    QWidget,
)

from tests.ui.keyboard import activate  # noqa: E402
from ui.common.theme import DARK, LIGHT, TOKENS, apply_theme, color, translate  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MIN_CONTRAST = 4.5


def luminance(color: QColor) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.red()) + 0.7152 * channel(color.green()) + 0.0722 * channel(color.blue())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_contrast(image: QImage) -> float:
    pixels = [image.pixel(x, y) for y in range(image.height()) for x in range(image.width())]
    background = QColor.fromRgb(Counter(pixels).most_common(1)[0][0])
    return max(contrast(background, QColor.fromRgb(p)) for p in set(pixels))


def text_widgets(window: QWidget) -> Iterator[QWidget]:
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or not widget.isEnabled() or widget.width() < 4 or widget.height() < 4:
            continue
        if isinstance(widget, QLabel) and widget.text().strip() and not widget.pixmap():
            yield widget
        elif isinstance(widget, QListWidget) and widget.count():
            yield widget.viewport()  # its rows: the coverage list was pale grey on white in the light theme
        elif (
            isinstance(widget, QAbstractButton | QComboBox)
            and (widget.currentText() if isinstance(widget, QComboBox) else widget.text()).strip()
        ):
            yield widget


def low_contrast(window: QWidget) -> list[str]:
    QApplication.processEvents()
    shot = window.grab().toImage()
    found = []
    for widget in text_widgets(window):
        seen = widget.visibleRegion().boundingRect()  # the part not scrolled away or covered
        if seen.width() < 4 or seen.height() < 4:
            continue
        # Inset past rounded corners, where the window's own background shows and is not the text's.
        dx, dy = min(4, seen.width() // 4), min(3, seen.height() // 5)
        area = shot.copy(QRect(widget.mapTo(window, seen.topLeft()), seen.size()).adjusted(dx, dy, -dx, -dy))
        ratio = text_contrast(area)
        if ratio < MIN_CONTRAST:
            text = widget.currentText() if isinstance(widget, QComboBox) else getattr(widget, "text", lambda: "rows")()
            found.append(f"{type(widget).__name__}#{widget.objectName()} {text[:40]!r}: {ratio:.2f}")
    return found


# --- the windows, built as the app builds them, without models -------------------------------------


def live_window() -> QWidget:
    from copilot.events import Bullets, CardsReady, Hit, Question, QuestionTyped
    from copilot.pipeline import knowledge
    from copilot.stories.parse import load_story
    from ui.live.view_models import LiveViewModel
    from ui.live.window import LiveWindow

    window = LiveWindow(LiveViewModel())
    window.set_core_ready(True)
    story = load_story(REPO / "personal_stories" / "distilled-intent-classifier.md")
    framework = knowledge.frameworks()["behavioral"]
    question = Question(1, "Tell me about a time you cut the cost of serving a model.", 3.0)
    typed = QuestionTyped(question, "behavioral", 0.87, latency_ms=9.0)
    window.model.apply(question)
    hits = (Hit("framework", framework.id, framework.title, 1.0, framework),)
    window.model.apply(CardsReady(typed, hits, (Hit("story", story.id, story.title, 0.71, story),), (), latency_ms=3.0))
    window.model.apply(Bullets(1, ("Situation: eight GPUs", "Result: cost down 76%"), "composer", True, latency_ms=2.0))
    return window


def library_window(tmp: Path) -> QWidget:
    from ui.library.model import LibraryModel
    from ui.library.window import LibraryWindow

    folder = tmp / "stories"
    shutil.copytree(REPO / "personal_stories", folder)
    model = LibraryModel(folder, trash_dir=tmp / "trash")
    model.reload()
    window = LibraryWindow(model, watch=False)
    window.story_list.setCurrentRow(0)
    return window


def rehearsal_window(tmp: Path) -> QWidget:
    from copilot.pipeline.knowledge import question_bank
    from ui.practice.rehearsal_window import RehearsalWindow

    return RehearsalWindow(
        SimpleNamespace(transcriber=None), bank=list(question_bank())[:20], probe=lambda: (None, None)
    )


def drill_window(tmp: Path) -> QWidget:
    from copilot.pipeline.knowledge import question_bank
    from copilot.practice.drill import ScoreBook
    from ui.practice.drill_window import DrillWindow

    return DrillWindow(
        SimpleNamespace(transcriber=None, classifier=None),
        book=ScoreBook(tmp / "scores.json"),
        bank=list(question_bank())[:20],
        probe=lambda: (None, None),
    )


def drill_scored_window(tmp: Path) -> QWidget:
    """The drill after some practice: the per-type table holds scores and words, its widest content."""
    from copilot.pipeline.knowledge import question_bank
    from copilot.practice.drill import ScoreBook
    from ui.practice.drill_window import DrillWindow

    book = ScoreBook(tmp / "scores.json")
    for kind, score in (("behavioral", 0.4), ("technical", 1.0), ("system_design", 0.72), ("situational", 0.55)):
        book.add(kind, score)
    return DrillWindow(
        SimpleNamespace(transcriber=None, classifier=None),
        book=book,
        bank=list(question_bank())[:20],
        probe=lambda: (None, None),
    )


def mock_window(tmp: Path) -> QWidget:
    from ui.practice.mock_window import MockWindow

    return MockWindow(speak=lambda text: None, transcribe=lambda samples: ("", 0.0), seed=3)


def history_window(tmp: Path) -> QWidget:
    from ui.history.window import HistoryWindow, ReportFiles

    return HistoryWindow(open_url=lambda url: True, reports=ReportFiles())


def jd_window(tmp: Path) -> QWidget:
    from ui.practice.jd_window import JdWindow

    return JdWindow(None, topics=lambda: [])


def settings_dialog(tmp: Path) -> QWidget:
    from ui.settings.dialog import SettingsDialog

    return SettingsDialog(first_run=True, doctor=lambda: {}, devices=lambda: [])


def library_coverage(tmp: Path) -> QWidget:
    window = library_window(tmp)
    window.tabs.setCurrentIndex(1)  # type: ignore[attr-defined]
    return window


WINDOWS: dict[str, Callable[[Path], QWidget]] = {
    "live": lambda tmp: live_window(),
    "library": library_window,
    "library-coverage": library_coverage,
    "rehearsal": rehearsal_window,
    "drill": drill_window,
    "drill-scored": drill_scored_window,
    "mock": mock_window,
    "history": history_window,
    "jd": jd_window,
    "settings": settings_dialog,
}


@pytest.fixture
def themed(request: pytest.FixtureRequest) -> Iterator[str]:
    theme = request.param
    apply_theme(theme)
    yield theme
    apply_theme(DARK)


@pytest.mark.parametrize("themed", [DARK, LIGHT], indirect=True)
@pytest.mark.parametrize("name", list(WINDOWS))
def test_text_contrast_is_at_least_4_5_to_1(qtbot: Any, tmp_path: Path, name: str, themed: str) -> None:
    window = WINDOWS[name](tmp_path)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)
    found = low_contrast(window)
    assert not found, f"{name} in the {themed} theme: " + "; ".join(found)


def dominant(window: QWidget, widget: QWidget) -> tuple[str, float]:
    """(the widget's background colour, its text contrast) as rendered."""
    QApplication.processEvents()
    shot = window.grab().toImage()
    area = shot.copy(QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()).adjusted(4, 3, -4, -3))
    pixels = [area.pixel(x, y) for y in range(area.height()) for x in range(area.width())]
    return QColor.fromRgb(Counter(pixels).most_common(1)[0][0]).name(), text_contrast(area)


@pytest.mark.parametrize("themed", [DARK, LIGHT], indirect=True)
@pytest.mark.parametrize(
    ("name", "button"),
    [("drill", "next_button"), ("rehearsal", "cards_button"), ("jd", "draft_button"), ("drill", "replay_button")],
)
def test_disabled_buttons_look_disabled(qtbot: Any, tmp_path: Path, name: str, button: str, themed: str) -> None:
    window = WINDOWS[name](tmp_path)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)  # let the layout place the button first: sampled too early, the area is elsewhere
    target = getattr(window, button)
    assert not target.isEnabled()  # nothing picked yet: the button can do nothing
    off_background, off_contrast = dominant(window, target)
    target.setEnabled(True)
    on_background, on_contrast = dominant(window, target)
    # Disabled: another fill and visibly fainter text; a primary button must not keep its accent colour.
    assert off_background != on_background, f"{button} looks the same disabled and enabled"
    assert off_contrast < on_contrast - 1.0, (
        f"{button}: text contrast {off_contrast:.2f} disabled, {on_contrast:.2f} not"
    )


def test_focus_is_visible_on_buttons_and_fields(qtbot: Any, tmp_path: Path) -> None:
    window = drill_window(tmp_path)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    activate(qtbot, window)
    for widget in (window.start_button, window.count_spin, window.competency_combo):
        other = window.folder_radio
        other.setFocus()
        before = window.grab(QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())).toImage()
        widget.setFocus()
        QApplication.processEvents()
        after = window.grab(QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())).toImage()
        assert widget.hasFocus() and before != after, f"focus on {type(widget).__name__} does not show"


# --- colours as theme tokens (issue 10 item 5) ------------------------------------------------------

# Every window names its colours by token; a hex literal is a colour the light theme can only guess
# (by mirroring it). Only the tokens' own table holds hex.
HEX_LITERAL = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def test_windows_name_colours_by_token_not_hex() -> None:
    skip = {REPO / "ui/common/theme.py"}  # where the tokens are defined
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "ui").rglob("*.py"))
        if path not in skip
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HEX_LITERAL.search(line)
    ]
    assert not found, "colour literals; name a token from ui/common/theme.py TOKENS instead:\n" + "\n".join(found)


def test_every_token_is_a_colour_in_both_themes() -> None:
    for name, (dark, light) in TOKENS.items():
        assert QColor(dark).isValid() and QColor(light).isValid(), name
        assert color(name, DARK) == dark and color(name, LIGHT) == light


def test_a_sheet_names_tokens_and_each_theme_writes_them_out() -> None:
    sheet = "QLabel { color: @text_muted; background: @pane; border: 1px solid #33383f; }"
    dark, light = translate(sheet, DARK), translate(sheet, LIGHT)
    assert "@" not in dark and "@" not in light
    assert TOKENS["text_muted"][0] in dark and TOKENS["pane"][0] in dark and "#33383f" in dark
    # A token's light colour is final: it is not mapped again as if it were a dark literal.
    assert f"color: {TOKENS['text_muted'][1]};" in light
    assert "#33383f" not in light and TOKENS["divider"][1] in light  # an old literal, mapped by its token


def test_an_unknown_token_is_named_with_where_the_tokens_are() -> None:
    with pytest.raises(KeyError, match=r"no colour token 'txet'.*ui/common/theme.py"):
        translate("QLabel { color: @txet; }", DARK)


def test_every_window_sheet_resolves_in_both_themes() -> None:
    from ui.common.widgets import REHEARSAL_STYLE, STYLE
    from ui.history.window import HISTORY_STYLE
    from ui.library.window import LIBRARY_STYLE
    from ui.practice.drill_window import DRILL_STYLE
    from ui.practice.jd_window import JD_STYLE
    from ui.practice.mock_window import MOCK_STYLE
    from ui.settings.dialog import DIALOG_STYLE

    sheets = (STYLE, REHEARSAL_STYLE, LIBRARY_STYLE, HISTORY_STYLE, DRILL_STYLE, JD_STYLE, MOCK_STYLE, DIALOG_STYLE)
    for sheet in sheets:
        for theme in (DARK, LIGHT):
            written = translate(sheet, theme)
            assert not re.search(r"@[a-z]", written), f"a token left unresolved in the {theme} sheet"


@pytest.mark.parametrize("themed", [DARK, LIGHT], indirect=True)
def test_a_toolbar_that_overflows_shows_its_arrow(qtbot: Any, tmp_path: Path, themed: str) -> None:
    """The overflow button of a toolbar too wide for its window was drawn blank: items went out of reach."""
    from PySide6.QtWidgets import QToolButton

    window = library_window(tmp_path)
    qtbot.addWidget(window)
    window.resize(400, 600)  # below the window's minimum: its toolbar overflows
    window.show()
    qtbot.waitExposed(window)
    arrows = [b for b in window.findChildren(QToolButton) if b.objectName() == "qt_toolbar_ext_button"]
    (arrow,) = [a for a in arrows if a.isVisible()]
    image = arrow.grab().toImage()
    colours = {image.pixel(x, y) for y in range(image.height()) for x in range(image.width())}
    assert text_contrast(image) >= 3.0 and len(colours) > 2, f"the overflow arrow is not drawn ({themed})"

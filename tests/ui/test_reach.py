"""Every control of every window reachable on a laptop screen (800x600, 1024x700) and by Tab alone
(issue 9, items 3-4 and "Done when")."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTabBar,
    QTableWidget,
    QTreeWidget,
    QWidget,
)

from tests.ui.keyboard import activate  # noqa: E402
from tests.ui.test_look import WINDOWS  # noqa: E402
from ui.common.theme import DARK, LIGHT, apply_theme  # noqa: E402

CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QPlainTextEdit, QAbstractItemView)


def controls(window: QWidget) -> list[QWidget]:
    found = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not widget.isVisibleTo(window):
            continue
        if isinstance(widget.parent(), QAbstractSpinBox | QComboBox | QTabBar | QAbstractScrollArea) and not isinstance(
            widget, QAbstractItemView
        ):
            continue  # a part of a compound control (a spin box's line edit, a scroll bar's button)
        if widget.objectName().startswith("qt_") or isinstance(widget, QHeaderView):
            continue  # Qt's own helpers (a toolbar's overflow arrow), a table's header
        if isinstance(widget, QAbstractItemView) and widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue  # a read-only table shown for reading, never a place to act
        found.append(widget)
    return found


def in_scroll_area(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def show_at(qtbot: Any, window: QWidget, size: tuple[int, int]) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0] and window.height() == size[1])
    for _ in range(3):
        QApplication.processEvents()


@pytest.mark.parametrize("size", [(800, 600), (1024, 700)])
@pytest.mark.parametrize("name", list(WINDOWS))
def test_no_control_is_cut_off_on_a_laptop_screen(qtbot: Any, tmp_path: Path, name: str, size: tuple[int, int]) -> None:
    window = WINDOWS[name](tmp_path)
    qtbot.addWidget(window)
    show_at(qtbot, window, size)
    cut = []
    for widget in controls(window):
        seen = widget.visibleRegion().boundingRect()
        if seen.isEmpty():
            if not in_scroll_area(widget):  # scrolled out of view is fine: Tab scrolls it back in
                cut.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r} hidden")
        elif seen.width() < min(widget.width(), 60) - 1:
            cut.append(
                f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r} {seen.width()}/{widget.width()} px"
            )
        elif (
            isinstance(widget, QPushButton | QCheckBox | QRadioButton)
            and widget.width() < widget.sizeHint().width() - 2
        ):
            cut.append(f"{widget.text()!r} squeezed to {widget.width()} of {widget.sizeHint().width()} px")
    for view in window.findChildren(QListWidget):  # a list elides; a table may scroll to its last column
        if view.isVisibleTo(window) and view.horizontalScrollBar().isVisible():
            cut.append(f"{type(view).__name__} {view.accessibleName()!r} scrolls sideways ({view.width()} px)")
    for area in window.findChildren(QScrollArea):
        if area.isVisibleTo(window) and area.horizontalScrollBar().isVisible():
            cut.append(f"a panel scrolls sideways ({area.widget().minimumSizeHint().width()} px in {area.width()})")
        elif area.isVisibleTo(window) and area.widget() is not None and area.widget().width() > area.viewport().width():
            cut.append(f"a panel is cut on the right ({area.widget().width()} px in {area.viewport().width()})")
    for table in window.findChildren(QTableWidget) + window.findChildren(QTreeWidget):  # columns past the edge
        header = table.horizontalHeader() if isinstance(table, QTableWidget) else table.header()
        sideways = table.horizontalScrollBar().isVisible()  # a scroll bar reaches the last column
        if table.isVisibleTo(window) and not sideways and header.length() > table.viewport().width() + 1:
            cut.append(f"table {table.accessibleName()!r}: columns {header.length()} px in {table.viewport().width()}")
    assert not cut, f"{name} at {size[0]}x{size[1]}: " + "; ".join(cut)


@pytest.fixture
def look(request: pytest.FixtureRequest) -> Any:
    apply_theme(request.param)
    yield request.param
    apply_theme(DARK)


@pytest.mark.parametrize("look", [DARK, LIGHT], indirect=True)
@pytest.mark.parametrize("size", [(800, 600), (1024, 700), (1600, 1000)])
@pytest.mark.parametrize("name", list(WINDOWS))
def test_tab_alone_reaches_every_enabled_control(
    qtbot: Any, tmp_path: Path, name: str, size: tuple[int, int], look: str
) -> None:
    window = WINDOWS[name](tmp_path)
    qtbot.addWidget(window)
    window.resize(*size)
    activate(qtbot, window)
    wanted = [w for w in controls(window) if w.isEnabled()]
    first = QApplication.focusWidget() or wanted[0]
    first.setFocus(Qt.FocusReason.TabFocusReason)
    reached = {first}
    for _ in range(4 * len(wanted) + 10):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.add(QApplication.focusWidget())
    # Tab enters a group of radio buttons at its checked one; the arrow keys move within it (as everywhere).
    grouped = [w for w in wanted if isinstance(w, QRadioButton) and w.autoExclusive() and not w.isChecked()]
    missed = [
        f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
        for w in wanted
        if w not in reached and w not in grouped
    ]
    assert not missed, f"{name} at {size[0]} px, {look}: Tab never reaches " + "; ".join(missed)


def accessible_name(widget: QWidget) -> str:
    from PySide6.QtGui import QAccessible

    face = QAccessible.queryAccessibleInterface(widget)
    return face.text(QAccessible.Text.Name).strip() if face is not None else ""


@pytest.mark.parametrize("name", list(WINDOWS))
def test_every_control_has_an_accessible_name(qtbot: Any, tmp_path: Path, name: str) -> None:
    window = WINDOWS[name](tmp_path)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    nameless = [
        f"{type(w).__name__}#{w.objectName()} (tooltip {w.toolTip()[:30]!r})"
        for w in controls(window)
        if not accessible_name(w)
    ]
    assert not nameless, f"{name}: no name for a screen reader: " + "; ".join(nameless)

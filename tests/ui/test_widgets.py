"""Shared widgets: a wrapped label's remembered heights follow its text and its font."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any  # noqa: E402

from PySide6.QtGui import QFont  # noqa: E402

from ui.common.widgets import wrapped_label  # noqa: E402

LONG = "Cut the intent classifier's serving cost by three quarters with distillation, " * 4


def test_a_wrapped_labels_height_follows_a_new_text(qtbot: Any) -> None:
    label = wrapped_label("short")
    qtbot.addWidget(label)
    one_line = label.heightForWidth(200)
    assert label.heightForWidth(200) == one_line  # asked again: the remembered height
    label.setText(LONG)
    assert label.heightForWidth(200) > 3 * one_line  # not the height of the old text
    label.setText("<b>short</b>")
    assert label.heightForWidth(200) < 2 * one_line


def test_a_wrapped_labels_height_follows_its_font(qtbot: Any) -> None:
    label = wrapped_label(LONG)
    qtbot.addWidget(label)
    before = label.heightForWidth(300)
    font = QFont(label.font())
    font.setPointSize(font.pointSize() * 2)
    label.setFont(font)
    assert label.heightForWidth(300) > 1.5 * before


def test_a_combo_box_too_narrow_for_its_device_name_ends_it_in_an_ellipsis(qtbot: Any) -> None:
    from ui.common.widgets import ElidedComboBox

    combo = ElidedComboBox()
    qtbot.addWidget(combo)
    combo.addItem("Monitor of Built-in Audio Analog Stereo (PulseAudio)")
    combo.setFixedWidth(160)
    combo.show()
    shown = combo.shown_text()
    assert shown.endswith("…") and shown[:-1] in combo.currentText()
    combo.setFixedWidth(700)
    assert combo.shown_text() == combo.currentText()  # room enough: the whole name

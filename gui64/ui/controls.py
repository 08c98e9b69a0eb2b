"""The run controls (prompt, sampling values, emulator, warp, Generate/Stop) and the story pane."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLineEdit, QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from build_chain.blocks import PROMPT_MAX, Params
from gui64.settings import EMULATORS, MODES, Settings


class RunControls(QWidget):
    """Prompt and sampling values, emulator choice, warp, and the Generate / Stop buttons.

    Signals:
        generate_requested(): the user asked for a story.
        stop_requested(): the user asked to stop the run.
    """

    generate_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.prompt = QLineEdit()
        self.prompt.setMaxLength(PROMPT_MAX)
        self.prompt.setPlaceholderText("The story's first words")
        self.prompt.returnPressed.connect(self._on_return)
        self.steps = QSpinBox()
        self.steps.setRange(1, 511)
        self.steps.setToolTip("Tokens to generate after the prompt")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setToolTip("0 = always the most likely token (greedy)")
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setDecimals(2)
        self.top_p.setToolTip("Keep the smallest set of tokens whose probability reaches top-p (1 = off)")
        self.seed = QSpinBox()
        self.seed.setRange(1, 2_147_483_647)
        self.seed.setToolTip("Same seed and settings give the same story")
        self.emulator = QComboBox()
        self.emulator.addItems(EMULATORS)
        self.emulator.setToolTip("x64: fast; x64sc: cycle-exact (slower)")
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.mode.setToolTip("fast: 8-bit integer maths, seconds per token; "
                             "exact: the same text as llama2.c's float32, minutes per token")
        self.warp = QCheckBox("Warp")
        self.warp.setToolTip("Run VICE as fast as this computer allows")
        self.generate = QPushButton("Generate")
        self.generate.setDefault(True)
        self.generate.clicked.connect(self.generate_requested)
        self.stop = QPushButton("Stop")
        self.stop.setEnabled(False)
        self.stop.clicked.connect(self.stop_requested)

        sampling = QHBoxLayout()
        for label, widget in (("steps", self.steps), ("temp", self.temperature), ("top-p", self.top_p),
                              ("seed", self.seed)):
            widget.setAccessibleName(label)
            sampling.addWidget(widget, 1)
        machine = QHBoxLayout()
        machine.addWidget(self.emulator)
        machine.addWidget(self.mode)
        machine.addWidget(self.warp)
        machine.addStretch(1)
        machine.addWidget(self.generate)
        machine.addWidget(self.stop)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Prompt", self.prompt)
        form.addRow("Steps · temp · top-p · seed", sampling)
        form.addRow("Emulator · mode", machine)

    def _on_return(self) -> None:
        if self.generate.isEnabled():
            self.generate_requested.emit()

    def set_running(self, running: bool) -> None:
        self.generate.setEnabled(not running)
        self.stop.setEnabled(running)
        for widget in (self.prompt, self.steps, self.temperature, self.top_p, self.seed, self.emulator, self.mode,
                       self.warp):
            widget.setEnabled(not running)

    def params(self) -> Params:
        return Params(prompt=self.prompt.text(), steps=self.steps.value(), temperature=self.temperature.value(),
                      top_p=self.top_p.value(), seed=self.seed.value(), mode=MODES.index(self.mode.currentText()))

    def load(self, settings: Settings) -> None:
        self.prompt.setText(settings.prompt)
        self.steps.setValue(settings.steps)
        self.temperature.setValue(settings.temperature)
        self.top_p.setValue(settings.top_p)
        self.seed.setValue(max(1, settings.seed))
        self.emulator.setCurrentText(settings.emulator if settings.emulator in EMULATORS else EMULATORS[0])
        self.mode.setCurrentText(settings.mode if settings.mode in MODES else MODES[0])
        self.warp.setChecked(settings.warp)

    def store(self, settings: Settings) -> None:
        settings.prompt = self.prompt.text()
        settings.steps = self.steps.value()
        settings.temperature = self.temperature.value()
        settings.top_p = self.top_p.value()
        settings.seed = self.seed.value()
        settings.emulator = self.emulator.currentText()
        settings.mode = self.mode.currentText()
        settings.warp = self.warp.isChecked()


class StoryPane(QWidget):
    """The story as it grows: the prompt, then each token's text. Selectable, copyable, savable.

    Signals:
        saved(str): the story was written to this path.
    """

    saved = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        font = QFont(self.view.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.view.setFont(font)
        self.view.setPlaceholderText("The story appears here, token by token.")
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy_all)
        self.save_button = QPushButton("Save as…")
        self.save_button.clicked.connect(self.save_as)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def text(self) -> str:
        return self.view.toPlainText()

    def start(self, prompt: str) -> None:
        """A new story: the prompt, then generated tokens as they come."""
        self.view.setPlainText(prompt)

    def append(self, piece: str) -> None:
        """Add text at the end without disturbing the user's selection."""
        cursor = QTextCursor(self.view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def set_text(self, text: str) -> None:
        self.view.setPlainText(text)

    def copy_all(self) -> None:
        from PySide6.QtGui import QGuiApplication
        QGuiApplication.clipboard().setText(self.text())

    def save_as(self, path: str | None = None) -> None:
        """Write the story to ``path``, asking for one when not given."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save story", "story.txt", "Text files (*.txt)")
            if not path:
                return
        Path(path).write_text(self.text(), encoding="utf-8")
        self.saved.emit(path)

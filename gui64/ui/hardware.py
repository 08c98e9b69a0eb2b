"""The Hardware panel: Ultimate profiles with their state; drop weights.reu on one to send a run there.

The panel shows and edits profiles (gui64.profiles: the profile file and the password store)
and forwards intent; it never opens a socket. The window wires it up:

- ``check_requested(name)``: run ``device_for(profile, passwords).probe()`` on a worker and
  hand the result back with ``set_state(name, state)``;
- ``send_requested(name, paths, fix_reu)``: start a gui64.session.UltimateSession for
  that profile with the dropped files (a weights.reu, optionally llama64.prg + its .lbl, or a
  folder holding a built set) and the "set the REU when needed" choice; feed its
  ``UploadProgress`` events to ``show_upload`` and its end to ``show_message``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from gui64.machine import ultimate_protocol as up
from gui64.profiles import PasswordStore, Profile, ProfileError, ProfileStore

SEND_SUFFIXES = (".reu", ".prg", ".lbl")
NAME_ROLE = Qt.ItemDataRole.UserRole


def sendable_paths(paths: list[str | Path]) -> list[Path]:
    """The dropped files worth sending: .reu/.prg/.lbl files, or those inside a dropped folder."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.suffix.lower() in SEND_SUFFIXES)
        elif p.suffix.lower() in SEND_SUFFIXES:
            out.append(p)
    return out if any(p.suffix.lower() == ".reu" for p in out) else []


def _state_text(state) -> str:
    if state is None:
        return "not checked"
    if state.problem:
        return ("reachable, " if state.reachable else "unreachable: ") + state.problem
    return f"{state.product} firmware {state.firmware}, {state.reu}"


class _ProfileList(QListWidget):
    """The list; a drop of files on a row becomes the panel's send request."""

    dropped = Signal(str, list)  # profile name, paths

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)

    def _row_name(self, event) -> str | None:
        item = self.itemAt(event.position().toPoint()) or self.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # Qt override
        if event.mimeData().hasUrls() and self._row_name(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        name = self._row_name(event)
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if name is None or not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.dropped.emit(name, paths)


class ProfileDialog(QDialog):
    """Add or edit one profile. The password field is write-only: empty keeps the stored one."""

    def __init__(self, profile: Profile | None = None, has_password: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Edit Ultimate profile" if profile else "Add Ultimate profile")
        form = QFormLayout(self)
        self.name = QLineEdit(profile.name if profile else "")
        self.host = QLineEdit(profile.host if profile else "")
        self.host.setPlaceholderText("192.168.1.64 or ultimate.local")
        self.http_port = QSpinBox()
        self.http_port.setRange(1, 65535)
        self.http_port.setValue(profile.http_port if profile else up.DEFAULT_HTTP_PORT)
        self.dma_port = QSpinBox()
        self.dma_port.setRange(1, 65535)
        self.dma_port.setValue(profile.dma_port if profile else up.DEFAULT_DMA_PORT)
        self.reu_size = QComboBox()
        self.reu_size.addItem("as the image needs", 0)
        for text in up.REU_SIZE_VALUES:
            self.reu_size.addItem(text, up.parse_reu_size(text))
        if profile and profile.reu_size:
            self.reu_size.setCurrentIndex(self.reu_size.findData(profile.reu_size))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("stored; type to change" if has_password else "none")
        self.forget = QCheckBox("No password (forget the stored one)")
        self.forget.setVisible(has_password)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00")
        self.error.setWordWrap(True)
        form.addRow("Name", self.name)
        form.addRow("Host", self.host)
        form.addRow("REST port", self.http_port)
        form.addRow("DMA port", self.dma_port)
        form.addRow("REU size", self.reu_size)
        form.addRow("Network password", self.password)
        form.addRow("", self.forget)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.result_profile: Profile | None = None

    def _check_and_accept(self) -> None:
        try:
            self.result_profile = Profile(self.name.text().strip(), self.host.text().strip(), self.http_port.value(),
                                          self.dma_port.value(), int(self.reu_size.currentData()))
        except ProfileError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def password_change(self) -> tuple[bool, str | None]:
        """(change it?, new value or None to forget)."""
        if self.forget.isChecked():
            return True, None
        text = self.password.text()
        return (True, text) if text else (False, None)


class HardwarePanel(QWidget):
    """Profiles with their state; add/edit/remove; drop files on a profile to send a run there.

    Args:
        store, passwords: where profiles and passwords live (default: the user's).

    Signals:
        check_requested(str): the user (or a change) wants a profile's state refreshed.
        send_requested(str, list, bool): profile name, dropped paths (list of str), fix_reu.
        profiles_changed(): a profile was added, edited or removed (and saved).
        message_shown(str, str): a user message (what happened, what to do).
    """

    check_requested = Signal(str)
    send_requested = Signal(str, list, bool)
    profiles_changed = Signal()
    message_shown = Signal(str, str)

    def __init__(self, store: ProfileStore | None = None, passwords: PasswordStore | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store if store is not None else ProfileStore.load()
        self.passwords = passwords if passwords is not None else PasswordStore()
        self.states: dict[str, object] = {}
        self.busy: str | None = None  # profile a run is being sent to

        self.list = _ProfileList()
        self.list.dropped.connect(self._on_dropped)
        self.list.itemDoubleClicked.connect(lambda _item: self.edit_selected())
        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.remove_button = QPushButton("Remove")
        self.check_button = QPushButton("Check")
        self.add_button.clicked.connect(self.add_profile)
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.check_button.clicked.connect(self.check_selected)
        self.fix_reu = QCheckBox("Set the device's REU (enable + size) when it does not fit")
        self.fix_reu.setToolTip("Changes `RAM Expansion Unit` and `REU Size` through the configuration API "
                                "until the device is switched off (not saved to flash).")
        self.hint = QLabel("Drop weights.reu (or a folder with a built set) on a profile to run it there.")
        self.hint.setWordWrap(True)
        self.upload = QProgressBar()
        self.upload.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.remove_button, self.check_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.fix_reu)
        layout.addWidget(self.hint)
        layout.addWidget(self.upload)
        layout.addWidget(self.status)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    # ------------------------------------------------------------ showing state

    def refresh(self) -> None:
        """Rebuild the list from the store (keeps the selection by name)."""
        current = self.selected_name()
        self.list.clear()
        for p in self.store:
            item = QListWidgetItem(self._row_text(p))
            item.setData(NAME_ROLE, p.name)
            self.list.addItem(item)
            if p.name == current:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._update_buttons()

    def _row_text(self, p: Profile) -> str:
        lock = "  🔒" if self._has_password(p.name) else ""
        return f"{p.describe()}{lock}\n    {_state_text(self.states.get(p.name))}"

    def _has_password(self, name: str) -> bool:
        try:
            return self.passwords.get(name) is not None
        except ProfileError:
            return False

    def _update_buttons(self) -> None:
        has = self.selected_name() is not None
        for b in (self.edit_button, self.remove_button, self.check_button):
            b.setEnabled(has and self.busy is None)

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(NAME_ROLE) if item is not None else None

    def row_text(self, name: str) -> str:
        for i in range(self.list.count()):
            if self.list.item(i).data(NAME_ROLE) == name:
                return self.list.item(i).text()
        raise KeyError(name)

    def set_state(self, name: str, state) -> None:
        """Show a gui64.machine.ultimate.DeviceState for a profile."""
        self.states[name] = state
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(NAME_ROLE) == name and name in self.store:
                item.setText(self._row_text(self.store.get(name)))

    def show_upload(self, progress) -> None:
        """Show an UploadProgress (bytes and speed)."""
        from gui64.machine.ultimate import human_bytes
        self.upload.setVisible(True)
        self.upload.setRange(0, 1000)
        self.upload.setValue(int(1000 * progress.done / max(1, progress.total)))
        self.upload.setFormat(f"{human_bytes(progress.done)} of {human_bytes(progress.total)} — "
                              f"{human_bytes(progress.bytes_per_s)}/s")
        if progress.done >= progress.total:
            self.upload.setVisible(False)

    def set_busy(self, name: str | None) -> None:
        """A run is being sent to ``name`` (None: no run); drops are refused meanwhile."""
        self.busy = name
        self.status.setText(f"Sending to {name}…" if name else "")
        if name is None:
            self.upload.setVisible(False)
        self._update_buttons()

    def show_message(self, what: str, todo: str = "") -> None:
        self.status.setText(f"{what} {todo}".strip())
        self.message_shown.emit(what, todo)

    # ------------------------------------------------------------ editing

    def save_profile(self, profile: Profile, old_name: str | None = None,
                     password_change: tuple[bool, str | None] = (False, None)) -> None:
        """Add or replace a profile (and its password) and save; what the dialog calls."""
        if old_name and old_name != profile.name:
            self.passwords.rename(old_name, profile.name)
            self.states.pop(old_name, None)
        self.store.put(profile, replace_name=old_name)
        self.store.save()
        change, value = password_change
        if change:
            self.passwords.set(profile.name, value)
        self.refresh()
        self.profiles_changed.emit()
        self.check_requested.emit(profile.name)

    def add_profile(self) -> None:
        dialog = ProfileDialog(parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.result_profile:
            self.save_profile(dialog.result_profile, None, dialog.password_change())

    def edit_selected(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        dialog = ProfileDialog(self.store.get(name), self._has_password(name), parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.result_profile:
            self.save_profile(dialog.result_profile, name, dialog.password_change())

    def remove_selected(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        self.store.remove(name)
        self.store.save()
        self.passwords.delete(name)
        self.states.pop(name, None)
        self.refresh()
        self.profiles_changed.emit()

    def check_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.check_requested.emit(name)

    def check_all(self) -> None:
        for p in self.store:
            self.check_requested.emit(p.name)

    # ------------------------------------------------------------ sending

    def drop_on(self, name: str, paths: list) -> bool:
        """Files dropped on a profile: ask to send them there. Returns whether a request went out."""
        return self._on_dropped(name, [str(p) for p in paths])

    def _on_dropped(self, name: str, paths: list) -> bool:
        if self.busy is not None:
            self.show_message(f"A run is being sent to {self.busy}.", "Wait for it to end, then drop again.")
            return False
        files = sendable_paths(paths)
        if not files:
            self.show_message("Nothing to send in what was dropped.",
                              "Drop a weights.reu (with llama64.prg and its .lbl if you like), or a folder "
                              "holding them.")
            return False
        self.send_requested.emit(name, [str(f) for f in files], self.fix_reu.isChecked())
        return True

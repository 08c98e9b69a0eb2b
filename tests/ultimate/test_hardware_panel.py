"""The Hardware panel: profiles with their state, editing, drops that ask to send a run."""

from __future__ import annotations

import os

import pytest

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    # only without a display: forcing offscreen would also switch tests/ui (same QApplication)
    # to a plugin that warns ("does not support propagateSizeHints"), which fails them
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent  # noqa: E402

from gui64.machine.ultimate import DeviceState, UploadProgress  # noqa: E402
from gui64.profiles import PasswordStore, Profile, ProfileStore  # noqa: E402


@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch):
    from gui64.ui.hardware import HardwarePanel
    monkeypatch.delenv("GUI64_ULTIMATE_PASSWORD", raising=False)
    store = ProfileStore(tmp_path / "profiles.json")
    store.put(Profile("desk", "192.168.1.64"))
    store.put(Profile("lab", "u64.local", reu_size=2 << 20))
    w = HardwarePanel(store, PasswordStore(tmp_path / "pw.json", keyring=None))
    qtbot.addWidget(w)
    return w


def test_profiles_are_listed_with_their_state(panel):
    assert panel.list.count() == 2
    assert "not checked" in panel.row_text("desk")
    panel.set_state("desk", DeviceState(True, "Ultimate 64", "3.14e", "REU 2 MB"))
    assert "Ultimate 64 firmware 3.14e, REU 2 MB" in panel.row_text("desk")
    panel.set_state("lab", DeviceState(False, problem="no answer: check the address"))
    assert "unreachable: no answer" in panel.row_text("lab")


def test_saving_a_profile_stores_it_keeps_the_password_apart_and_asks_for_a_check(panel, qtbot, tmp_path):
    with qtbot.waitSignal(panel.check_requested, timeout=1000) as sig:
        panel.save_profile(Profile("attic", "10.0.0.9"), None, (True, "hunter2"))
    assert sig.args == ["attic"]
    assert "attic: 10.0.0.9" in panel.row_text("attic") and "🔒" in panel.row_text("attic")
    assert "hunter2" not in (tmp_path / "profiles.json").read_text()
    assert "attic" in ProfileStore.load(tmp_path / "profiles.json")


def test_renaming_moves_the_password(panel):
    panel.save_profile(Profile("desk", "192.168.1.64"), None, (True, "pw1"))
    panel.save_profile(Profile("study", "192.168.1.64"), "desk")
    assert panel.passwords.get("study") == "pw1" and panel.passwords.get("desk") is None
    assert [panel.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(panel.list.count())] == ["lab", "study"]


def test_remove_drops_profile_and_password(panel):
    panel.save_profile(Profile("desk", "192.168.1.64"), "desk", (True, "pw1"))
    panel.list.setCurrentRow([panel.list.item(i).data(Qt.ItemDataRole.UserRole)
                              for i in range(panel.list.count())].index("desk"))
    panel.remove_selected()
    assert "desk" not in panel.store and panel.passwords.get("desk") is None


def test_dropping_weights_on_a_profile_asks_to_send_it_there(panel, qtbot, tmp_path):
    reu = tmp_path / "weights.reu"
    reu.write_bytes(b"G64R")
    panel.fix_reu.setChecked(True)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(reu))])
    rect = panel.list.visualItemRect(panel.list.item(1))
    event = QDropEvent(QPointF(rect.center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(panel.send_requested, timeout=1000) as sig:
        panel.list.dropEvent(event)
    assert sig.args == ["lab", [str(reu)], True]


def test_a_dropped_folder_sends_its_built_set(panel, qtbot, tmp_path):
    for name in ("weights.reu", "llama64.prg", "llama64.lbl", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    with qtbot.waitSignal(panel.send_requested, timeout=1000) as sig:
        assert panel.drop_on("desk", [tmp_path])
    assert sorted(os.path.basename(p) for p in sig.args[1]) == ["llama64.lbl", "llama64.prg", "weights.reu"]


def test_dropping_something_else_or_while_busy_says_what_to_do(panel, qtbot, tmp_path):
    other = tmp_path / "story.txt"
    other.write_text("x")
    with qtbot.waitSignal(panel.message_shown, timeout=1000) as sig:
        assert not panel.drop_on("desk", [other])
    assert "Drop a weights.reu" in sig.args[1]
    panel.set_busy("lab")
    with qtbot.waitSignal(panel.message_shown, timeout=1000) as sig:
        assert not panel.drop_on("desk", [tmp_path / "weights.reu"])
    assert "being sent to lab" in sig.args[0]


def test_upload_progress_shows_bytes_and_speed(panel):
    panel.show_upload(UploadProgress(512 * 1024, 2 << 20, 1.5 * 1024 * 1024))
    assert not panel.upload.isHidden() and panel.upload.value() == 250
    assert panel.upload.format() == "512.0 KB of 2.0 MB — 1.5 MB/s"
    panel.show_upload(UploadProgress(2 << 20, 2 << 20, 1.5 * 1024 * 1024))
    assert panel.upload.isHidden()

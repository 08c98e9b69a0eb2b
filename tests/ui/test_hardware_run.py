"""The Hardware panel in the window: Check probes a device, files dropped on a profile run the story there.

The device is the loopback Ultimate from tests/ultimate (REST + DMA on 127.0.0.1) running the fake
llama64 from tests/ultimate/conftest.py on real VICE; the window uses its real run path
(gui64.ui.wiring.DefaultRun -> gui64.session.UltimateSession), so the story, the mirror and the
progress views are fed exactly as for a VICE run.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from gui64.events import ScreenFrame, SessionState, TokenEmitted
from gui64.machine.ultimate import UploadProgress
from gui64.profiles import PasswordStore, Profile, ProfileStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the `ultimate` test package
from ultimate.conftest import TOKEN_TABLE, fake_llama, image_file, tiny_roms, vice_factory  # noqa: E402,F401
from ultimate.simulator import LOOPBACK, UltimateSimulator  # noqa: E402

PROMPT = "Once upon a time"
PROMPT_SCREEN = bytes([16, 18, 15, 13, 16, 20, 63])  # "PROMPT?": the fake's own prompt screen


@pytest.fixture
def stores(tmp_path, monkeypatch):
    monkeypatch.delenv("GUI64_ULTIMATE_PASSWORD", raising=False)
    return ProfileStore(tmp_path / "profiles.json"), PasswordStore(tmp_path / "pw.json", keyring=None)


@pytest.mark.vice
def test_files_dropped_on_a_profile_run_the_story_on_the_device(qtbot, make_window, stores, vice_factory,
                                                                fake_llama, image_file, tmp_path):
    store, passwords = stores
    built = tmp_path / "built"
    built.mkdir()
    for src in (image_file, fake_llama["prg"], fake_llama["labels"]):
        shutil.copyfile(src, built / Path(src).name)
    with UltimateSimulator(vice_factory, password="pw", reu_mode="Disabled", reu_size="128 KB", lifetime=60) as sim:
        store.put(Profile("desk", LOOPBACK, sim.http_port, sim.dma_port))
        passwords.set("desk", "pw")
        window = make_window(profiles=store, passwords=passwords)
        window.controls.prompt.setText(PROMPT)
        window.controls.steps.setValue(6)
        window.tabs.setCurrentWidget(window.hardware)  # the first look checks the profile
        qtbot.waitUntil(lambda: "Ultimate 64 firmware 3.14e, REU disabled" in window.hardware.row_text("desk"),
                        timeout=10_000)

        tokens, frames, uploads = [], [], []
        window.bridge.token_emitted.connect(tokens.append)
        window.bridge.frame_received.connect(frames.append)
        window.bridge.other_received.connect(
            lambda e: uploads.append((e, window.hardware.upload.format())) if isinstance(e, UploadProgress) else None)
        window.hardware.fix_reu.setChecked(True)
        with qtbot.waitSignal(window.run_started, timeout=2000):
            assert window.hardware.drop_on("desk", [built])
        assert window.hardware.busy == "desk" and not window.hardware.check_button.isEnabled()
        assert window.hardware.status.text() == "Sending to desk…"
        with qtbot.waitSignal(window.run_ended, timeout=25_000) as ended:
            pass
        programs = list(sim.programs)
        reu_enabled = sim.reu_enabled

    assert ended.args == [SessionState.DONE.value], window.messages
    assert [t.token for t in tokens] == list(TOKEN_TABLE[:6])
    assert window.story.text() == PROMPT + "".join(t.text for t in tokens) != PROMPT
    assert (window.progress.overall.value(), window.progress.overall.maximum()) == (6, 6)
    assert any(f.codes[:7] == PROMPT_SCREEN for f in frames if isinstance(f, ScreenFrame))
    assert window.mirror.frame in frames and window.mirror.frame.codes[:7] == PROMPT_SCREEN
    done, shown = uploads[-1]
    assert done.done == done.total == image_file.stat().st_size
    assert shown.startswith("256.0 KB of 256.0 KB")
    assert window.hardware.busy is None and window.hardware.upload.isHidden()
    assert window.hardware.status.text() == "desk: Done."
    assert programs == [fake_llama["prg"].read_bytes()] and reu_enabled
    assert all(isinstance(t, TokenEmitted) for t in tokens)


def test_a_drop_while_a_story_runs_is_refused_with_what_to_do(qtbot, make_window, stores, tmp_path):
    import threading

    import fakes
    store, passwords = stores
    store.put(Profile("desk", "192.0.2.1"))
    release = threading.Event()

    class Holding(fakes.ScriptedSession):
        def run(self, on_event, cancel):
            release.wait(10)
            return super().run(on_event, cancel)
    window = make_window(lambda request: Holding([]), profiles=store, passwords=passwords)
    (tmp_path / "weights.reu").write_bytes(b"G64R")
    with qtbot.waitSignal(window.run_started, timeout=2000):
        window.generate()
    with qtbot.waitSignal(window.hardware.message_shown, timeout=2000) as shown:
        window.hardware.drop_on("desk", [tmp_path / "weights.reu"])
    assert shown.args == ["A story is running already.", "Stop it, or wait for it to end, then drop again."]
    assert window.hardware.busy is None
    release.set()
    with qtbot.waitSignal(window.run_ended, timeout=5000):
        pass


def test_check_shows_what_the_probe_found(qtbot, make_window, stores):
    from gui64.machine.ultimate import DeviceState
    store, passwords = stores
    store.put(Profile("lab", "u64.local"))
    asked = []

    def probe_factory(profile, pw):
        def job(post, cancel):
            asked.append(profile.name)
            return DeviceState(False, problem="u64.local is not a known host name: check the address in the profile.")
        return job
    window = make_window(profiles=store, passwords=passwords, probe_job_factory=probe_factory)
    window.hardware.list.setCurrentRow(0)
    window.hardware.check_selected()
    qtbot.waitUntil(lambda: "unreachable: u64.local is not a known host name" in window.hardware.row_text("lab"),
                    timeout=5000)
    assert asked == ["lab"]

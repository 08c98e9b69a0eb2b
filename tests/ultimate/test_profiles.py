"""Hardware profiles and password storage (keyring, 0600 file, environment)."""

from __future__ import annotations

import io
import stat

import pytest

from gui64.profiles import (KEYRING_SERVICE, PASSWORD_ENV, PasswordStore, Profile, ProfileError, ProfileStore,
                            device_for)


class FakeKeyring:
    def __init__(self):
        self.items = {}

    def get_password(self, service, name):
        return self.items.get((service, name))

    def set_password(self, service, name, value):
        self.items[(service, name)] = value

    def delete_password(self, service, name):
        self.items.pop((service, name))


@pytest.fixture(autouse=True)
def _private_config(tmp_path, monkeypatch):
    monkeypatch.setenv("GUI64_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("GUI64_KEYRING", "0")
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def test_profiles_round_trip_through_the_file_in_order(tmp_path):
    store = ProfileStore.load()
    store.put(Profile("desk", "192.168.1.64"))
    store.put(Profile("lab", "u64.local", 8080, 6464, 2 << 20))
    store.save()
    again = ProfileStore.load()
    assert [p.name for p in again] == ["desk", "lab"]
    assert again.get("lab") == Profile("lab", "u64.local", 8080, 6464, 2 << 20)
    assert again.get("lab").describe() == "lab: u64.local (REST 8080, DMA 6464), REU 2 MB"


@pytest.mark.parametrize("kwargs, words", [({"name": "x", "host": "a b"}, "not a host"),
                                           ({"name": "x", "host": "h", "http_port": 0}, "REST port"),
                                           ({"name": "x", "host": "h", "reu_size": 3000}, "not an REU size"),
                                           ({"name": " ", "host": "h"}, "needs a name")])
def test_invalid_profiles_are_refused_with_the_reason(kwargs, words):
    with pytest.raises(ProfileError, match=words):
        Profile(**kwargs)


def test_an_unknown_profile_names_the_known_ones():
    store = ProfileStore.load()
    store.put(Profile("desk", "h"))
    with pytest.raises(ProfileError, match="profiles: desk"):
        store.get("attic")


def test_the_password_file_is_private_and_apart_from_the_profiles(tmp_path):
    store, pw = ProfileStore.load(), PasswordStore(keyring=None)
    store.put(Profile("desk", "h"))
    store.save()
    pw.set("desk", "hunter2")
    assert stat.S_IMODE(pw.path.stat().st_mode) == 0o600
    assert "hunter2" not in store.path.read_text()
    assert PasswordStore(keyring=None).get("desk") == "hunter2"
    pw.set("desk", None)
    assert pw.get("desk") is None


def test_a_password_file_readable_by_others_is_made_private(tmp_path):
    pw = PasswordStore(keyring=None)
    pw.set("desk", "hunter2")
    pw.path.chmod(0o644)
    assert pw.get("desk") == "hunter2"
    assert stat.S_IMODE(pw.path.stat().st_mode) == 0o600


def test_the_keyring_is_used_when_there_is_one_and_the_file_stays_empty():
    ring = FakeKeyring()
    pw = PasswordStore(keyring=ring)
    pw.set("desk", "hunter2")
    assert ring.items == {(KEYRING_SERVICE, "desk"): "hunter2"}
    assert not pw.path.exists()
    assert pw.get("desk") == "hunter2"
    pw.rename("desk", "study")
    assert ring.items == {(KEYRING_SERVICE, "study"): "hunter2"}


def test_the_environment_password_wins_for_scripts(monkeypatch):
    pw = PasswordStore(keyring=None)
    pw.set("desk", "stored")
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert pw.get("desk") == "from-env"
    assert device_for(Profile("desk", "h"), pw).password == "from-env"


def test_cli_profiles_add_list_check_remove(monkeypatch, capsys, sim):
    from gui64.ultimate_cli import main
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    assert main(["profiles", "add", "desk", "--host", "127.0.0.1", "--http-port", str(sim.http_port),
                 "--dma-port", str(sim.dma_port), "--reu-size", "2 MB", "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "saved desk: 127.0.0.1" in out and "hunter2" not in out
    assert PasswordStore(keyring=None).get("desk") == "hunter2"
    assert main(["profiles", "list"]) == 0
    assert "desk: 127.0.0.1" in capsys.readouterr().out
    assert main(["profiles", "check"]) == 0
    assert "desk: Ultimate 64 firmware 3.14e, REU disabled" in capsys.readouterr().out
    assert main(["profiles", "remove", "desk"]) == 0
    assert PasswordStore(keyring=None).get("desk") is None
    assert main(["profiles", "remove", "desk"]) == 2
    assert "no hardware profile named 'desk'" in capsys.readouterr().err


def test_cli_check_reports_a_switched_off_service(capsys):
    from gui64.ultimate_cli import main

    from .simulator import UltimateSimulator
    with UltimateSimulator(rest=False, lifetime=10) as off:
        main(["profiles", "add", "off", "--host", "127.0.0.1", "--http-port", str(off.http_port)])
        capsys.readouterr()
        assert main(["profiles", "check", "off"]) == 1
    assert "Web Remote Control Service" in capsys.readouterr().out


def test_the_password_cannot_be_given_on_the_command_line():
    from gui64.ultimate_cli import parser
    with pytest.raises(SystemExit):
        parser().parse_args(["profiles", "add", "x", "--host", "h", "--password", "pw"])

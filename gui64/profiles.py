"""Hardware profiles (Ultimate II+ / Ultimate 64 devices) and their passwords (no Qt).

Profiles live in ``ultimate_profiles.json`` next to the settings (``gui64.settings.config_dir``).
Passwords never go there: they go to the system keyring when the optional ``keyring`` package
has a working backend, otherwise to ``ultimate_passwords.json`` created readable by the user
only (0600). ``$GUI64_ULTIMATE_PASSWORD`` overrides both, for scripts. Passwords are never
logged and never taken from a command line.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from gui64.errors import Gui64Error
from gui64.machine import ultimate_protocol as up
from gui64.settings import config_dir

log = logging.getLogger("gui64.profiles")

PROFILES_FILE = "ultimate_profiles.json"
PASSWORDS_FILE = "ultimate_passwords.json"
PASSWORD_ENV = "GUI64_ULTIMATE_PASSWORD"
KEYRING_ENV = "GUI64_KEYRING"  # "0" keeps passwords out of the system keyring (use the 0600 file)
KEYRING_SERVICE = "gui64-ultimate"


class ProfileError(Gui64Error):
    """A profile is unknown, invalid or cannot be stored; str() says what to do."""


@dataclass(frozen=True)
class Profile:
    """One device on the user's desk.

    ``reu_size`` is the REU size (bytes) the device should have; 0 means "what the image needs".
    """

    name: str
    host: str
    http_port: int = up.DEFAULT_HTTP_PORT
    dma_port: int = up.DEFAULT_DMA_PORT
    reu_size: int = 0

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ProfileError("a profile needs a name.")
        if not self.host.strip() or any(c.isspace() for c in self.host):
            raise ProfileError(f"{self.host!r} is not a host name or address: give the device's IP address or name.")
        for label, port in (("REST", self.http_port), ("DMA", self.dma_port)):
            if not isinstance(port, int) or not 0 < port < 65536:
                raise ProfileError(f"the {label} port must be 1..65535, not {port!r}.")
        if self.reu_size:
            try:
                up.reu_size_value(self.reu_size)
            except ValueError as exc:
                raise ProfileError(f"{exc}.") from None

    def describe(self) -> str:
        ports = "" if (self.http_port, self.dma_port) == (up.DEFAULT_HTTP_PORT, up.DEFAULT_DMA_PORT) \
            else f" (REST {self.http_port}, DMA {self.dma_port})"
        reu = f", REU {up.reu_size_value(self.reu_size)}" if self.reu_size else ""
        return f"{self.name}: {self.host}{ports}{reu}"


# ---------------------------------------------------------------- profiles file


class ProfileStore:
    """The saved profiles, by name (in the order they were added)."""

    def __init__(self, path: Path | None = None):
        self.path = path or config_dir() / PROFILES_FILE
        self._profiles: dict[str, Profile] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> "ProfileStore":
        store = cls(path)
        try:
            raw = json.loads(store.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return store
        except (OSError, ValueError) as exc:
            raise ProfileError(f"{store.path} cannot be read ({exc}): fix or delete it.") from None
        known = {f.name for f in fields(Profile)}
        for entry in raw.get("profiles", []) if isinstance(raw, dict) else []:
            try:
                p = Profile(**{k: v for k, v in entry.items() if k in known})
            except (TypeError, ProfileError) as exc:
                log.warning("Skipping a damaged profile in %s (%s).", store.path, exc)
                continue
            store._profiles[p.name] = p
        return store

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"profiles": [asdict(p) for p in self._profiles.values()]}, indent=2),
                       encoding="utf-8")
        os.replace(tmp, self.path)

    def __iter__(self):
        return iter(list(self._profiles.values()))

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, name: str) -> bool:
        return name in self._profiles

    def get(self, name: str) -> Profile:
        try:
            return self._profiles[name]
        except KeyError:
            names = ", ".join(self._profiles) or "none yet"
            raise ProfileError(f"no hardware profile named {name!r} (profiles: {names}): add it with "
                               "`gui64 ultimate profiles add`.") from None

    def put(self, profile: Profile, replace_name: str | None = None) -> None:
        """Add or replace a profile (``replace_name``: the old name when renaming)."""
        if replace_name and replace_name != profile.name:
            self._profiles.pop(replace_name, None)
        self._profiles[profile.name] = profile

    def remove(self, name: str) -> Profile:
        profile = self.get(name)
        del self._profiles[name]
        return profile


# ---------------------------------------------------------------- passwords


def _keyring_module():
    """The keyring module when it is installed and has a usable backend, else None."""
    if os.environ.get(KEYRING_ENV, "1") == "0":
        return None
    try:
        import keyring
        backend = keyring.get_keyring()
    except Exception as exc:  # not installed, or a broken backend configuration
        log.debug("no system keyring (%s)", type(exc).__name__)
        return None
    name = type(backend).__module__ + "." + type(backend).__name__
    if getattr(backend, "priority", 0) <= 0 or "fail" in name.lower() or "null" in name.lower():
        return None
    return keyring


class PasswordStore:
    """Device passwords by profile name: the system keyring, else a file readable by the user only.

    Args:
        path: the fallback file (default: next to the settings).
        keyring: a keyring-like module (get_password/set_password/delete_password); "auto" finds
            the installed one; None forces the file.
    """

    def __init__(self, path: Path | None = None, keyring="auto"):
        self.path = path or config_dir() / PASSWORDS_FILE
        self.keyring = _keyring_module() if keyring == "auto" else keyring

    @property
    def where(self) -> str:
        return "the system keyring" if self.keyring is not None else f"{self.path} (readable only by you)"

    def get(self, name: str) -> str | None:
        """The password for a profile: $GUI64_ULTIMATE_PASSWORD, else the stored one, else None."""
        env = os.environ.get(PASSWORD_ENV)
        if env:
            return env
        if self.keyring is not None:
            try:
                value = self.keyring.get_password(KEYRING_SERVICE, name)
            except Exception as exc:
                log.warning("The system keyring failed (%s); using %s.", type(exc).__name__, self.path)
            else:
                if value is not None:
                    return value
        return self._read_file().get(name)

    def set(self, name: str, password: str | None) -> None:
        """Store (or, with None/"", forget) a profile's password."""
        if not password:
            self.delete(name)
            return
        if self.keyring is not None:
            try:
                self.keyring.set_password(KEYRING_SERVICE, name, password)
                self._drop_from_file(name)
                return
            except Exception as exc:
                log.warning("The system keyring refused the password (%s); storing it in %s.",
                            type(exc).__name__, self.path)
        data = self._read_file()
        data[name] = password
        self._write_file(data)

    def delete(self, name: str) -> None:
        if self.keyring is not None:
            try:
                self.keyring.delete_password(KEYRING_SERVICE, name)
            except Exception:  # not stored there
                pass
        self._drop_from_file(name)

    def rename(self, old: str, new: str) -> None:
        if old == new:
            return
        value = self._stored(old)
        if value is not None:
            self.set(new, value)
            self.delete(old)

    def _stored(self, name: str) -> str | None:
        saved = os.environ.pop(PASSWORD_ENV, None)
        try:
            return self.get(name)
        finally:
            if saved is not None:
                os.environ[PASSWORD_ENV] = saved

    def _drop_from_file(self, name: str) -> None:
        data = self._read_file()
        if name in data:
            del data[name]
            self._write_file(data)

    def _read_file(self) -> dict:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return {}
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s was readable by others; making it private (0600).", self.path)
            os.chmod(self.path, 0o600)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProfileError(f"{self.path} cannot be read ({type(exc).__name__}): delete it and set the "
                               "passwords again.") from None
        return data if isinstance(data, dict) else {}

    def _write_file(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # also when the temporary file already existed
            os.write(fd, json.dumps(data).encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, self.path)


def device_for(profile: Profile, passwords: PasswordStore | None = None, timeout: float = 5.0):
    """The gui64.machine.ultimate.Ultimate client for a profile, with its password."""
    from gui64.machine.ultimate import Ultimate
    password = (passwords or PasswordStore()).get(profile.name)
    return Ultimate(profile.host, profile.http_port, profile.dma_port, password=password, timeout=timeout)

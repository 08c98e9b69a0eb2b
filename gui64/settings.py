"""The user's settings, declared once (name, type, default, help) and stored as JSON (no Qt).

The file lives in ``platformdirs.user_config_dir("gui64")`` or in ``$GUI64_CONFIG_DIR`` when that
is set (tests point it at a temporary folder). Code reads and writes settings as attributes
(``settings.emulator``); an undeclared name is an ``AttributeError``, so there are no raw keys.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from gui64.machine.vice import EMULATORS  # noqa: F401  (re-exported for the UI)

log = logging.getLogger("gui64.settings")

CONFIG_ENV = "GUI64_CONFIG_DIR"
FILE_NAME = "settings.json"


@dataclass(frozen=True)
class Setting:
    """One declared setting."""

    name: str
    type: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("model_dir", str, "", "Folder holding stories260K.bin and tok512.bin (empty: search the usual places)."),
    Setting("checkpoint", str, "", "A checkpoint file picked or dropped by the user (empty: use model_dir)."),
    Setting("tokenizer", str, "", "A tokenizer file picked or dropped by the user (empty: use model_dir)."),
    Setting("weights_reu", str, "", "A ready weights.reu to run instead of exporting one (empty: export)."),
    Setting("rom_dir", str, "", "Folder with the Commodore ROMs (kernal, basic, chargen); empty: VICE's own or the open ROMs."),
    Setting("emulator", str, "x64", "VICE emulator: x64 (fast) or x64sc (cycle-exact)."),
    Setting("warp", bool, True, "Run VICE in warp mode (as fast as the host allows)."),
    Setting("mode", str, "fast", "Arithmetic: fast (8-bit integer, seconds per token) or exact (llama2.c's "
            "float32 text, minutes per token)."),
    Setting("prompt", str, "Once upon a time", "The story's first words."),
    Setting("steps", int, 64, "Tokens to generate after the prompt."),
    Setting("temperature", float, 0.8, "Sampling temperature; 0 picks the most likely token (greedy)."),
    Setting("top_p", float, 0.9, "Nucleus sampling: keep the smallest set of tokens whose probability reaches top-p."),
    Setting("seed", int, 42, "Random seed for sampling (same seed + settings = same story)."),
    Setting("window_geometry", str, "", "Main window geometry (Qt, base64)."),
    Setting("window_state", str, "", "Main window dock and splitter state (Qt, base64)."),
)

MODES = ("fast", "exact")  # the parameter block's mode byte: 0, 1

_BY_NAME = {s.name: s for s in SETTINGS}


def config_dir() -> Path:
    """Folder the settings file lives in ($GUI64_CONFIG_DIR wins)."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("gui64", appauthor=False))


def _coerce(setting: Setting, value: Any) -> Any:
    """value as the setting's type, or ValueError/TypeError."""
    if setting.type is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if isinstance(value, int):
            return bool(value)
        raise TypeError(f"{setting.name} must be true or false, not {value!r}")
    if setting.type is int and isinstance(value, float) and not value.is_integer():
        raise TypeError(f"{setting.name} must be a whole number, not {value!r}")
    return setting.type(value)


class Settings:
    """The declared settings with their current values; ``save()`` writes them."""

    def __init__(self, path: Path | None = None):
        object.__setattr__(self, "path", path or config_dir() / FILE_NAME)
        object.__setattr__(self, "_values", {s.name: s.default for s in SETTINGS})

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        """Settings from the file; a missing or unreadable file (or value) falls back to defaults."""
        settings = cls(path)
        try:
            stored = json.loads(settings.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable settings file %s (%s); using defaults.", settings.path, exc)
            return settings
        if not isinstance(stored, dict):
            return settings
        for name, value in stored.items():
            setting = _BY_NAME.get(name)
            if setting is None:
                continue  # a setting from another version: dropped on the next save
            try:
                settings._values[name] = _coerce(setting, value)
            except (TypeError, ValueError):
                log.info("Setting %s=%r is not a %s; using the default.", name, value, setting.type.__name__)
        return settings

    def save(self) -> None:
        """Write all values (atomically: a temporary file, then rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._values, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)

    def reset(self, name: str) -> None:
        self._values[_declared(name).name] = _declared(name).default

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._values[_declared(name).name]

    def __setattr__(self, name: str, value: Any) -> None:
        setting = _declared(name)
        self._values[name] = _coerce(setting, value)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


def _declared(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise AttributeError(f"no setting named {name!r}; declare it in gui64/settings.py") from None

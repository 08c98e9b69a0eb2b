"""UI test fixtures: settings and caches in a temporary folder, the window with an injected session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))  # for `import fakes`


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    """Every test gets its own settings and artifact cache folders."""
    monkeypatch.setenv("GUI64_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("GUI64_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "config"


@pytest.fixture
def make_window(qtbot):
    """Build a MainWindow with a session factory; closed (workers stopped) at teardown."""
    from gui64.settings import Settings
    from gui64.ui.main_window import MainWindow

    def make(session_factory=None, **kwargs):
        window = MainWindow(Settings.load(), session_factory=session_factory, check_models=False, **kwargs)
        qtbot.addWidget(window)
        window.show()
        return window
    return make

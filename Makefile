# gui64: the two commands a newcomer runs are `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test setup system bench fidelity clean

setup: $(STAMP)

system:
	bash packaging/setup-system.sh

$(STAMP): pyproject.toml packaging/setup-system.sh
	bash packaging/setup-system.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "No display here. Write a story headless with:"; \
	  echo "  $(VENV)/bin/gui64 generate --prompt 'Once upon a time' --steps 40"; \
	  $(VENV)/bin/gui64 generate --prompt 'Once upon a time' --steps 40; \
	else $(VENV)/bin/gui64; fi

test: $(STAMP)
	xvfb-run -a -s '-screen 0 1280x1024x24' $(PY) -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/gui64 bench

fidelity: $(STAMP)
	$(VENV)/bin/gui64 fidelity

clean:
	rm -rf $(VENV) build dist *.egg-info

# ---- packaging (issue 7): desktop entry, wheel + sdist, one-folder app bundle
# GUI64: the launcher the desktop entry runs (default: this checkout's venv).
# DIST_FLAGS / BUNDLE_FLAGS: --without-program ships only the boot ROMs prebuilt.
GUI64        ?= $(abspath $(VENV)/bin/gui64)
DIST_DIR     ?= dist
BUNDLE_DIR   ?= dist/bundle
BUNDLE_WORK  ?= build/bundle
DIST_FLAGS   ?=
BUNDLE_FLAGS ?=

.PHONY: install-desktop uninstall-desktop dist bundle

install-desktop: $(STAMP)
	bash packaging/desktop.sh install '$(GUI64)'

uninstall-desktop:
	bash packaging/desktop.sh uninstall

dist: $(STAMP)
	$(PY) -m pip install -q build
	$(PY) packaging/build_dist.py --outdir '$(DIST_DIR)' $(DIST_FLAGS)

bundle: $(STAMP)
	$(PY) -m pip install -q pyinstaller
	$(PY) -m PyInstaller --noconfirm --clean --log-level WARN --distpath '$(BUNDLE_DIR)' \
	  --workpath '$(BUNDLE_WORK)' packaging/gui64.spec -- $(BUNDLE_FLAGS)
	@echo "bundle: $(BUNDLE_DIR)/gui64/gui64 (try: $(BUNDLE_DIR)/gui64/gui64 doctor)"

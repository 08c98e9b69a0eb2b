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

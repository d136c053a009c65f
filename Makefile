# nianbao — make demo (crawl the offline replica, build archive.db, serve) and make test.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := fonts-wqy-zenhei poppler-utils poppler-data libreoffice-writer-nogui \
	redis-server chromium chromium-driver wget tesseract-ocr tesseract-ocr-chi-sim
STAMP_APT := $(VENV)/.apt-done
STAMP_PIP := $(VENV)/.pip-done
HOST ?= 127.0.0.1
PORT ?= 8001
ARCHIVE_DB ?= archive.db

.PHONY: install test demo archive serve bench clean schedule

install: $(STAMP_APT) $(STAMP_PIP)

$(STAMP_APT):
	@mkdir -p $(VENV)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

$(STAMP_PIP): requirements.txt pyproject.toml
	@[ -x $(BIN)/python ] || $(PY) -m venv $(VENV)
	@$(BIN)/pip install -q -U pip 2>&1 | grep -v 'is ignored' || true
	@$(BIN)/pip install -q -r requirements.txt 2>&1 | grep -v 'is ignored' || true
	@$(BIN)/pip install -q --no-deps -e . 2>&1 | grep -v 'is ignored' || true
	@$(BIN)/python -c 'import scrapy, trafilatura, pdfplumber, docx, datasette, sqlite_utils' 
	@touch $@

test: install
	$(BIN)/python -m pytest -q

archive: install
	$(BIN)/python -m tests.replica.demo --archive $(ARCHIVE_DB)

# The full report_summary CSV beside the archive is (re)written first when the archive changed.
# IMMUTABLE=1 publishes a snapshot (Archive.snapshot: VACUUM INTO $(SNAPSHOT_DB), its CSV beside
# it) and serves that with -i: an immutable open ignores the WAL, so never the live file.
# The snapshot keeps the archive's file name (Datasette names a database after its file, and
# metadata.yml describes "archive"), in its own directory.
SNAPSHOT_DB ?= published/$(notdir $(ARCHIVE_DB))
SERVED_DB := $(if $(IMMUTABLE),$(SNAPSHOT_DB),$(ARCHIVE_DB))
serve: install
	$(if $(IMMUTABLE),$(BIN)/python -c 'import sys; from extract.store import Archive; a = Archive(sys.argv[1]); \
	  print("nianbao: snapshot", a.snapshot(sys.argv[2])); a.close()' $(ARCHIVE_DB) $(SNAPSHOT_DB), \
	$(BIN)/python -c 'import sys; from extract.store import export_summary_csv as e; m = e(sys.argv[1]); \
	  print("nianbao: report_summary CSV download:", m["rows"], "rows")' $(ARCHIVE_DB))
	@echo "nianbao: http://$(HOST):$(PORT)/"
	$(BIN)/datasette serve $(if $(IMMUTABLE),-i $(SERVED_DB),$(SERVED_DB)) -m metadata.yml --plugins-dir plugins \
	  -h $(HOST) -p $(PORT) --setting suggest_facets off --setting sql_time_limit_ms 3000 \
	  --setting facet_time_limit_ms 1000

demo: archive serve

bench: install
	$(BIN)/python bench/extract_speed.py

# nightly incremental crawl through crawler.schedule (flock'd); replaces its own crontab line
schedule: install
	@command -v crontab >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends cron >/dev/null; }
	$(BIN)/python -m crawler.schedule install --archive $(ARCHIVE_DB) $(if $(WHEN),--when "$(WHEN)")
	@pgrep -x cron >/dev/null || pgrep -x crond >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "schedule: starting the cron daemon"; $$SUDO service cron start >/dev/null 2>&1 || $$SUDO cron; }

clean:
	rm -rf $(VENV) $(ARCHIVE_DB) published/ data/ .pytest_cache

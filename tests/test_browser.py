"""The published archive in a real browser: a `datasette serve` process + headless Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.test_datasette import BOM, records, special_records
from tests.replica.demo import stop
from tests.test_store import make_archive

ROOT = Path(__file__).resolve().parents[1]
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage")

pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMEDRIVER) and os.path.exists(CHROMIUM)),
                                reason="needs the Debian chromium and chromium-driver packages (make install)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "archive.db"
    make_archive(db, records()).close()
    port = free_port()
    datasette = str(Path(sys.executable).with_name("datasette"))
    proc = subprocess.Popen(
        [datasette, "serve", str(db), "-m", str(ROOT / "metadata.yml"), "--plugins-dir", str(ROOT / "plugins"),
         "-h", "127.0.0.1", "-p", str(port), "--setting", "suggest_facets", "off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"datasette did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield base
    stop(proc)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_home_report_facet_search_csv(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    assert "政府信息公开工作年度报告档案" in browser.title or "政府信息公开工作年度报告档案" in browser.page_source
    assert browser.find_element(By.LINK_TEXT, "archive")

    # a report page
    browser.get(server + "/archive/reports/1")
    assert "年度报告" in browser.find_element(By.TAG_NAME, "body").text

    # a facet: follow the first value of the year facet
    browser.get(server + "/archive/reports")
    link = browser.find_element(By.CSS_SELECTOR, "#facet-year li a")
    year = link.text.strip()
    link.click()
    assert f"year={year}" in browser.current_url
    assert "where year = " in browser.find_element(By.TAG_NAME, "body").text.replace("\n", " ")

    # a search through the search box
    browser.get(server + "/archive/reports")
    box = browser.find_element(By.NAME, "_search")
    box.send_keys("雾霾治")
    box.submit()
    body = browser.find_element(By.TAG_NAME, "body").text
    assert special_records()["smog"]["title"] in body
    assert "1 row" in body

    # the short-word search linked from the table page
    browser.get(server + "/archive/search_short?q=" + quote("雾霾"))
    assert special_records()["smog"]["title"] in browser.find_element(By.TAG_NAME, "body").text

    # hostile HTML from a crawled page stays text
    browser.get(server + "/archive/reports?_search=" + quote("alert"))
    assert browser.execute_script("return window.__pwned === undefined")
    assert "<script>alert(1)</script>" in browser.find_element(By.TAG_NAME, "body").text

    # a CSV link of the summary table gives BOM-prefixed UTF-8
    browser.get(server + "/archive/report_summary")
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href*='.csv']")]
    assert hrefs
    data = urllib.request.urlopen(hrefs[0], timeout=30).read()
    assert data.startswith(BOM)
    assert "report_id" in data[3:200].decode("utf-8")
    assert not severe(browser)


def test_dashboard_draws_its_charts(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("browser")  # drop earlier entries
    browser.get(server + "/-/dashboards/overview")
    charts = ["reports-per-year", "requests-per-city", "outcome-shares", "failed-checks"]

    def drawn(d):
        return all(d.find_elements(By.CSS_SELECTOR, f"#chart-{c} svg, #chart-{c} canvas") for c in charts)

    WebDriverWait(browser, 30).until(drawn)
    assert browser.find_element(By.CSS_SELECTOR, "#chart-total-reports").text.strip()
    scripts = [s.get_attribute("src") for s in browser.find_elements(By.TAG_NAME, "script") if s.get_attribute("src")]
    assert scripts and all(s.startswith(server) for s in scripts), scripts
    assert not severe(browser)

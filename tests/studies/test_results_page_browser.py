"""The results page in a real browser: headless Chromium loads a quick run's index.html; every image
loads and every link resolves; a screenshot is saved (``$SPURIOUS_SCREENSHOT_DIR`` or the tmp dir).

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and selenium (the
``dev`` extra). Where they are missing the test is skipped, unless ``SPURIOUS_REQUIRE_BROWSER=1``
(set by CI), which makes their absence a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from spurious.studies import _registry as registry
from spurious.studies import _runner as runner

HERE = Path(__file__).parent
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")

pytestmark = pytest.mark.browser


def _driver():
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", DRIVER)) if path is None]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium")
    if missing:
        if os.environ.get("SPURIOUS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser test required but {', '.join(missing)} missing")
        pytest.skip(f"no {', '.join(missing)}")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1366,900",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(options=opts, service=Service(executable_path=DRIVER))


def _resolve(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def _check_page(driver, page: Path) -> list[str]:
    driver.get(page.as_uri())
    driver.execute_script("return Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
    broken = driver.execute_script(
        "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken == [], f"{page}: images that did not load: {broken}"
    assert driver.execute_script("return document.images.length") > 0
    hrefs = driver.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    for href in hrefs:
        target = _resolve(href.split("#")[0])
        assert target is not None, f"{page}: a link leaves the run directory: {href}"
        assert target.exists(), f"{page}: broken link {href}"
        fragment = href.partition("#")[2]
        if fragment and target == page:
            assert driver.execute_script(f"return document.getElementById({fragment!r}) !== null"), href
    return hrefs


def test_index_of_a_quick_run_in_chromium(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_experiment")
    driver = _driver()
    try:
        results, index = runner.run_all(
            out=tmp_path / "runs", names=["toy", "zhang2018-example3"], quick=True, workers=1
        )
        hrefs = _check_page(driver, index)
        for r in results:
            assert any(h.endswith(f"{r.name}/index.html") for h in hrefs)
            sub = _check_page(driver, r.out / "index.html")
            assert any(h.endswith("results.parquet") for h in sub) and any(h.endswith(".png") for h in sub)
        shots = Path(os.environ.get("SPURIOUS_SCREENSHOT_DIR", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        driver.get(index.as_uri())
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1366, min(int(height), 4000))
        assert driver.save_screenshot(str(shots / "index.png"))
        driver.get((results[1].out / "index.html").as_uri())
        assert "zhang2018-example3" in driver.title
        assert driver.save_screenshot(str(shots / "run-page.png"))
    finally:
        driver.quit()

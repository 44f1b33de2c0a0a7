"""Debian's headless Chromium, started in a process group of its own with a fresh profile and
driven by Playwright over CDP (``playwright install`` downloads a browser; this needs none)."""
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

BROWSER_START_S = 30
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
    "--window-size=1400,1100",
]

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_process_group(process, grace_s=20):
    """SIGTERM the process's group, then SIGKILL whatever is left after ``grace_s``."""
    if process is None:
        return
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait_s)
            # The leader is gone; its group may still hold children (make -> jupyter).
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
        except subprocess.TimeoutExpired:
            pass


def find_chromium():
    """$CHROMIUM if set, else the system Chromium."""
    if os.environ.get("CHROMIUM"):
        candidates = [os.environ["CHROMIUM"]]
    else:
        candidates = [shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"No Chromium found (looked for {', '.join(c for c in candidates if c) or 'chromium'}). "
                "Install the system one, `apt-get install chromium` (.ci/run does), or set $CHROMIUM.")


def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError as error:
        pytest.fail(f"Playwright is missing ({error}); it is in the dev extra: "
                    "`.venv/bin/pip install -e '.[grading,dev]'` or `make setup`.")
    return start()


def wait_for_answer(url, process, limit_s, what, log_path):
    """Poll ``url`` until it answers; fail with the log's end if ``process`` dies or time runs out."""
    deadline = time.time() + limit_s
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"{what} exited with {process.returncode} before answering:\n{tail(log_path)}")
            if time.time() > deadline:
                pytest.fail(f"{what} did not answer at {url} within {limit_s} s:\n{tail(log_path)}")
            time.sleep(0.25)


# -- Chromium, a process group of our own, driven by Playwright over CDP ------------------------
@contextmanager
def chromium(work, executable=None, viewport=(1400, 1100)):
    """Headless ``executable`` (the system Chromium by default) with a fresh profile; yields a
    Playwright page of ``viewport`` (width, height)."""
    executable = executable or find_chromium()
    port = free_port()
    log_path = work / "chromium.log"
    with open(log_path, "wb") as log:
        browser_process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium-profile'}",
             f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1", "about:blank"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    playwright = browser = None
    try:
        wait_for_answer(f"http://127.0.0.1:{port}/json/version", browser_process, BROWSER_START_S,
                        f"Chromium ({executable})", log_path)
        playwright = sync_playwright().start()
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}", timeout=BROWSER_START_S * 1000)
        context = browser.contexts[0] if browser.contexts else browser.new_context()
        page = context.new_page()
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        yield page
    finally:
        for stop in (browser and browser.close, playwright and playwright.stop):
            try:
                stop and stop()
            except Exception:  # the browser may be gone already; it is killed next anyway
                pass
        stop_process_group(browser_process, grace_s=5)

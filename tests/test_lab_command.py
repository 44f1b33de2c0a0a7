"""The README's main command, `make lab HEADLESS=1`, starts JupyterLab on notebooks/."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from tests.notebook_tools import ROOT


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_headless_serves_the_student_notebooks():
    port, token = free_port(), "course-test-token"
    server = subprocess.Popen(
        ["make", "-s", "lab", "HEADLESS=1", f"PORT={port}", f"TOKEN={token}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline, listing = time.time() + 90, None
        while time.time() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                listing = json.load(urllib.request.urlopen(url, timeout=2))
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer within 90 s"
        assert "01_backprop" in {item["name"] for item in listing["content"]}
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10).read().decode()
        assert "JupyterLab" in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

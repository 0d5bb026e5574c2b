#!/usr/bin/env python3
"""The desktop app end to end: the real window (WebKitGTK under Xvfb) driven through WebDriver
(tauri-driver in front of WebKitWebDriver).

Run by `run.sh`, which builds everything and gives this script a private HOME and XDG directories,
so the app opens its default database and config there and never touches the user's own. It checks
that the app starts on the Status view with the receiver's URL, that the twelve samples posted with
`logbook send` reach the window live, that the conversations and the call appear, that a call turn
links through to the message it produced, that an export writes its file (LOGBOOK_EXPORT_PATH
stands in for the save dialog), and that Settings shows the endpoint's secret masked until asked
and saves through the app. Screenshots go to target/e2e/.
"""

import csv
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "target/debug/logbook-desktop"
CLI = ROOT / "target/debug/logbook"
SHOTS = ROOT / "target/e2e/desktop"
SAMPLES = ROOT / "tests/samples"
CALL = "b231ef28-c861-4f33-8a17-384d95d6ddb5"
DRIVER_PORT = int(os.environ.get("E2E_DRIVER_PORT", "4444"))
NATIVE_PORT = int(os.environ.get("E2E_NATIVE_PORT", "4445"))
RECEIVER = os.environ.get("E2E_RECEIVER", "http://127.0.0.1:7420")
SECRET_FILE = Path(os.environ["HOME"]) / ".config/assistant-logbook/webhook-secret"
EXPORT_DIR = Path(os.environ["LOGBOOK_EXPORT_PATH"])
TIMEOUT_S = 30


def step(text):
    print(f"e2e: {text}", flush=True)


def wait_port(port, timeout_s=30):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout_s} s")


class App:
    def __init__(self, driver):
        self.d = driver
        self.shots = 0

    def wait(self, what, condition, timeout_s=TIMEOUT_S):
        try:
            return WebDriverWait(self.d, timeout_s, poll_frequency=0.2).until(lambda d: condition())
        except Exception:
            self.shot(f"failed-{what.replace(' ', '-')}")
            raise AssertionError(f"timed out waiting for {what}; the page says:\n{self.text()[:2000]}")

    def all(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def one(self, css):
        found = self.all(css)
        return found[0] if found else None

    def text_of(self, css):
        """The text of the first element `css` finds, or "" while there is none."""
        found = self.one(css)
        return found.text if found is not None else ""

    def text(self):
        try:
            return self.d.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            return ""

    def go(self, route):
        self.d.execute_script("window.location.hash = arguments[0]", route)

    def shot(self, name):
        # The X server's picture of the window (WebKitWebDriver's own screenshot can hang headless).
        self.shots += 1
        path = SHOTS / f"{self.shots:02d}-{name}.png"
        time.sleep(0.3)  # let the last change paint
        subprocess.run(["import", "-window", "root", str(path)], check=True, timeout=30)
        step(f"screenshot {path.relative_to(ROOT)}")


def main():
    if os.environ.get("E2E_DEBUG"):
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    driver_log = open(SHOTS / "tauri-driver.log", "w")
    tauri_driver = subprocess.Popen(
        ["tauri-driver", "--port", str(DRIVER_PORT), "--native-port", str(NATIVE_PORT)],
        stdout=driver_log,
        stderr=subprocess.STDOUT,
    )
    driver = None
    try:
        wait_port(DRIVER_PORT)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(APP)})
        step("starting the app")
        driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{DRIVER_PORT}", options=options)
        run(App(driver))
        quit_app()
        step("passed")
    finally:
        if driver is not None:
            try:
                driver.quit()
            except WebDriverException:
                pass
        tauri_driver.terminate()
        tauri_driver.wait(timeout=10)
        driver_log.close()


def app_pids():
    """The app processes of this test run (those with this run's XDG_DATA_HOME)."""
    mine = f"XDG_DATA_HOME={os.environ['XDG_DATA_HOME']}".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "exe")) == APP:
                if mine in (proc / "environ").read_bytes().split(b"\0"):
                    pids.append(int(proc.name))
        except OSError:
            pass
    return pids


def quit_app():
    # WebDriver ends its session with SIGKILL; a user quits with the window or SIGTERM. Quitting
    # closes the store cleanly: the database whole, its WAL checkpointed away.
    pids = app_pids()
    assert len(pids) == 1, f"app processes: {pids}"
    os.kill(pids[0], signal.SIGTERM)
    data = Path(os.environ["XDG_DATA_HOME"])
    db = next(data.glob("**/logbook.db"))
    deadline = time.time() + 10
    while app_pids() and time.time() < deadline:
        time.sleep(0.2)
    assert not app_pids(), "the app did not quit on SIGTERM"
    assert not list(data.glob("**/logbook.db-wal")), "the app left a WAL behind"
    step(f"the app quit and closed {db.relative_to(data)} cleanly")


def run(app):
    # The first launch opens on the Status view: the URL to paste into Watson, the tunnel command.
    app.wait("the Status view", lambda: app.one("[data-testid=status-view]"))
    app.wait("the receiver URL", lambda: RECEIVER in app.text_of("[data-testid=receiver-url]"))
    assert f"cloudflared tunnel --url {RECEIVER}" in app.text(), app.text()
    assert app.d.execute_script("return window.location.hash") == "#/status"
    # The app's own panels: the tunnel helper (with a button, or how to install a tool), no problem.
    app.wait("the tunnel panel", lambda: app.one("[data-testid=tunnel-panel]"))
    assert app.one("[data-testid=receiver-problem]") is None, app.text()
    assert "Start the receiver with" not in app.text(), app.text()
    app.shot("status-first-launch")

    step("posting the samples with logbook send")
    sent = subprocess.run(
        [str(CLI), "send", "--url", f"{RECEIVER}/", "--secret-file", str(SECRET_FILE), str(SAMPLES)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    print(sent.stdout, end="")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.count("200 ") == 12, sent.stdout
    unsigned = subprocess.run(
        [str(CLI), "send", "--url", f"{RECEIVER}/", "--no-auth", str(SAMPLES / "01_webchat_welcome.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unsigned.stdout.startswith("401"), unsigned.stdout

    # The counts arrive over the live channel, without a reload.
    def count(testid):
        found = app.one(f"[data-testid={testid}]")
        number = re.match(r"\s*([\d,]+)", found.text) if found is not None else None
        return number.group(1) if number else None

    app.wait("12 events on the Status view", lambda: count("count-events") == "12")
    assert (count("count-conversations"), count("count-calls"), count("count-rejected")) == ("3", "3", "1")
    app.shot("status-after-send")

    app.go("#/live")
    app.wait("13 rows in the live view", lambda: len(app.all("[data-testid=row]")) == 13)
    badge = app.one("[data-testid=live-badge]")
    assert badge is not None and "live" in badge.text.lower(), badge and badge.text
    app.shot("live")

    app.go("#/conversations")
    app.wait("3 conversations", lambda: len(app.all("[data-testid=row]")) == 3)
    app.shot("conversations")

    app.go("#/calls")
    app.wait("3 calls", lambda: len(app.all("[data-testid=row]")) == 3)
    app.shot("calls")

    step("exporting the calls")
    app.one("[data-testid=export]").click()
    app.wait("the export menu", lambda: app.one("[data-testid=export-run]"))
    csv_choice = app.one("[data-testid=export-format-csv]")
    if csv_choice is not None:
        csv_choice.click()
    app.one("[data-testid=export-run]").click()
    app.wait("the export file", lambda: [p for p in EXPORT_DIR.glob("*.csv")])
    exported = sorted(EXPORT_DIR.glob("*.csv"))[0]
    with open(exported, newline="") as f:
        records = list(csv.reader(f))
    assert len(records) == 1 + 3, records
    assert "global_session_id" in records[0], records[0]
    assert any(CALL in r for r in records[1:]), records
    app.wait("the export note", lambda: "3 rows" in app.text() or exported.name in app.text())
    app.shot("export-done")
    app.one("[data-testid=export]").click()  # close the menu

    app.go(f"#/calls/{CALL}")
    app.wait("the call's 3 turns", lambda: len(app.all("[data-testid=call-turn]")) == 3)
    app.shot("call")
    links = app.all("[data-testid=call-turn] a.message-link")
    assert len(links) == 3, f"{len(links)} turn links"
    links[1].click()
    app.wait("the linked message", lambda: app.d.execute_script("return window.location.hash").startswith("#/conversations/"))
    app.wait("the conversation's turns", lambda: app.all("[data-testid=turn]"))
    highlighted = [t for t in app.all("[data-testid=turn]") if t.get_attribute("aria-current") == "true"]
    assert len(highlighted) == 1, f"{len(highlighted)} highlighted turns"
    app.shot("turn-linked-to-message")

    settings(app)


def settings(app):
    step("the Settings view")
    assert app.one("[data-testid=tab-settings]") is not None, "no Settings tab in the app"
    app.one("[data-testid=export]").click()  # a menu left open closes when the route changes
    app.wait("the export menu", lambda: app.one("[data-testid=export-menu]"))
    app.go("#/settings")
    app.wait("the Settings view", lambda: app.all("[data-testid=endpoint-edit]"))
    assert app.one("[data-testid=export-menu]") is None, "the export menu stayed open"
    port = RECEIVER.rsplit(":", 1)[1]
    assert app.one("[data-testid=settings-port]").get_attribute("value") == port
    secret = SECRET_FILE.read_text().strip()
    shown = app.one("[data-testid=secret-value]")
    assert shown.get_attribute("data-masked") == "true"
    assert shown.text and set(shown.text) == {"•"}, shown.text
    assert secret not in app.text() and secret not in app.d.page_source, "the secret is on the page"
    app.shot("settings")

    # Show asks the app for it: the secret `make run` made for `logbook serve`, taken over.
    app.one("[data-testid=secret-show]").click()
    app.wait("the revealed secret", lambda: app.one("[data-testid=secret-value]").text == secret)
    app.one("[data-testid=secret-hide]").click()
    app.wait("the secret masked again", lambda: secret not in app.text())

    # A retention change is saved by the app and takes effect at the next launch.
    days = app.one("[data-testid=settings-keep-days]")
    days.clear()
    days.send_keys("30")
    app.one("[data-testid=settings-save]").click()
    app.wait("the save", lambda: app.one("[data-testid=settings-saved]"))
    app.wait("the restart note", lambda: app.one("[data-testid=restart-needed]"))
    # Saved on the same port: the receiver is back there, not "taken by another program".
    assert app.one("[data-testid=receiver-problem]") is None, app.text()
    app.wait("the receiver URL", lambda: app.text_of("[data-testid=settings-receiver-url]") == RECEIVER)
    saved = (Path(os.environ["XDG_CONFIG_HOME"]) / "dev.assistant-logbook.desktop/settings.json").read_text()
    assert '"keep_days": 30' in saved, saved
    assert secret not in saved, "the secret is in the settings file"
    app.shot("settings-saved")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"e2e: FAILED: {e}", file=sys.stderr)
        sys.exit(1)

"""kill -9 after an edit and its autosave, start again: the app offers the edit back and restores it.

Both runs are the real `netdesigner` entry point (designer.app.run_gui) in child processes
driven by tests/ui/drive_app.py, sharing one home folder, so the same untitled project."""

from __future__ import annotations

import json
import signal
import subprocess
from typing import Any


def test_sigkilled_app_offers_and_restores_the_autosaved_edit(app_process: Any) -> None:
    app_process.env["QT_QPA_PLATFORM"] = "offscreen"
    child = subprocess.Popen(app_process.command("edit"), env=app_process.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    edited: dict[str, object] = {}
    try:
        for line in child.stdout:  # blocks until the driver reports the autosave
            if line.startswith("{"):
                edited.update(json.loads(line))
            if "autosaved" in edited:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        errors = child.stderr.read() if child.stderr else ""
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
    assert "autosaved" in edited, f"the first app never autosaved:\n{errors[-3000:]}"
    assert edited["frozen"], "the edit froze the backbone"

    done = app_process.run("restore")
    assert done.returncode == 0, done.stderr[-3000:]
    restored = app_process.reports(done.stdout)
    assert restored["restore_asked"] == edited["autosaved"]
    assert restored["frozen"] == edited["frozen"], "the restored design holds the edit"
    assert restored["unsaved"] is True and " *" in str(restored["title"]), \
        "a restored autosave is unsaved work until the user saves it"

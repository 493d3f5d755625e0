"""The wheel carries the package and its resources and starts from a fresh virtualenv."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs_the_demo(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("netdesigner-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "designer/cli/__init__.py" in names
    assert "designer/resources/icons/netdesigner.svg" in names
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    # the heavy dependencies (torch: 5 GB) come from this environment instead of a download,
    # appended after the fresh venv's own site-packages so its installed wheel wins
    site = next((target / "lib").glob("python3*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {**os.environ, "NETDESIGNER_SAMPLES": str(tmp_path / "samples")}
    result = subprocess.run([str(target / "bin" / "netdesigner"), "demo", "--epochs", "2",
                             "--out", str(tmp_path / "runs"), "--json"],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert str(target) in subprocess.run(
        [str(python), "-c", "import designer; print(designer.__file__)"],
        capture_output=True, text=True, env=env, check=True, cwd=tmp_path).stdout
    assert '"reason": "completed"' in result.stdout

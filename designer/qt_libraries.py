"""Can Qt's X11 (xcb) platform plugin load here, and which Debian packages would fix it if not.

Qt aborts the whole process when its platform plugin cannot load, so this is checked *before*
a QApplication exists: each system library the plugin links (or, like libxcb-cursor, opens at
start-up) is opened with ctypes, then the plugin itself. The list was taken from `ldd` over
PySide6 6.12's libqxcb.so / libQt6XcbQpa / libQt6Gui / libQt6DBus and confirmed against Xvfb
on Debian 12 with ``QT_DEBUG_PLUGINS=1``.

Plain Python with no package-relative imports, so `scripts/app.sh` and `.ci/run` can run it with
the system's python3 before the virtualenv exists::

    python3 designer/qt_libraries.py     # prints the missing Debian packages, space-separated
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from pathlib import Path

#: shared library -> Debian/Ubuntu package that ships it
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}

_MISSING = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")


def _opens(library: str) -> bool:
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def xcb_plugin() -> Path | None:
    """PySide6's libqxcb.so, or None where PySide6 is not installed or is laid out otherwise."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return None
    plugin = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(libraries: dict[str, str] | None = None,
                      plugin: Path | None = None) -> list[str]:
    """The shared libraries the xcb plugin needs that cannot be opened here (empty when it loads).

    `libraries` and `plugin` default to the real list and PySide6's plugin; a library the plugin
    still fails on beyond the list is reported by the name the loader gives.
    """
    wanted = XCB_LIBRARIES if libraries is None else libraries
    missing = [name for name in wanted if not _opens(name)]
    plugin = xcb_plugin() if plugin is None and libraries is None else plugin
    if not missing and plugin is not None:
        try:
            ctypes.CDLL(str(plugin), mode=os.RTLD_LAZY)
        except OSError as error:
            found = _MISSING.search(str(error))
            missing.append(found.group(1) if found else str(error))
    return missing


def packages_for(libraries: list[str]) -> list[str]:
    """Debian packages that provide `libraries` (in order, without repeats; unknown ones skipped)."""
    packages = [XCB_LIBRARIES[name] for name in libraries if name in XCB_LIBRARIES]
    return list(dict.fromkeys(packages))


def uses_xcb(environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """Whether Qt will pick the xcb plugin for a window in this environment (Linux only)."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return False
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(";")[0].split(":")[0] == "xcb"
    wayland = env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland"
    return bool(env.get("DISPLAY")) and not wayland


def missing_message(libraries: list[str]) -> str:
    """One plain message: what is missing, the command that fixes it, and what works meanwhile."""
    packages = packages_for(libraries)
    sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
    install = (f"  Install them (Debian/Ubuntu):  {sudo}apt-get install -y {' '.join(packages)}\n"
               if packages else "  Install them with your system's package manager.\n")
    return (
        "netdesigner: the window cannot open: Qt's X11 platform plugin (xcb) needs system "
        f"libraries that are not installed: {', '.join(libraries)}.\n"
        f"{install}"
        "  Meanwhile, render the window to an image: netdesigner --screenshot window.png\n"
        "  or run the workflow headless:              netdesigner demo"
    )


def main() -> int:
    """Print the missing Debian packages (space-separated; nothing when the plugin loads)."""
    missing = missing_libraries()
    packages = packages_for(missing)
    if packages:
        print(" ".join(packages))  # noqa: T201 - read by scripts/app.sh and .ci/run
    elif missing:
        print(f"unknown: {' '.join(missing)}", file=sys.stderr)  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

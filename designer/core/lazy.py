"""Package re-exports that import their module on first use (PEP 562).

A package whose ``__init__`` imports torch makes every ``designer.<package>.<light module>``
import pay for torch too (the package runs first). The window's start-up path needs only the
light modules; the heavy names are imported when something first asks for them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for `package` that imports ``<package>.<where[name]>`` the first
    time `name` is asked for (`where`: exported name -> submodule, fixed in our code)."""
    if not package or not isinstance(where, Mapping):
        raise TypeError("lazy_exports needs a package name and a name -> submodule mapping")

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's own name
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # asked once
        return value

    return __getattr__

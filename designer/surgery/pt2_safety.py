"""Can ``torch.export.load`` run code from this archive? Read it as data first and say why.

``torch.export.load`` (torch 2.14, ``torch/export/pt2_archive/_package.py`` and
``torch/_export/serde/serialize.py``) runs code from the file in four places:

* a weight or constant whose payload config says ``use_pickle`` is read with
  ``torch.load(weights_only=False)`` (arbitrary unpickling);
* a custom object constant is read with ``pickle.loads`` / ``torch._C._pickle_load_obj``;
* the sample inputs are read with ``torch.load(weights_only=True)`` and, if that fails, again
  with ``weights_only=False``;
* a symbolic shape expression (``expr_str``) is parsed with ``sympy.sympify``, which is
  Python's ``eval``.

An archive in which none of these can happen (plain tensors, sample inputs that load with
``weights_only=True``, shape expressions made only of symbols, numbers, operators and sympy's
shape functions) opens without asking. Anything else needs the user's consent. The graph's
operators are checked afterwards by `aten_graph.rebuild`, before anything runs.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

#: identifiers a shape expression may use besides symbols like s0, u3
_SYMPY_NAMES = frozenset({
    "Mod", "FloorDiv", "CeilDiv", "CleanDiv", "Max", "Min", "Abs", "PythonMod", "IntTrueDiv",
    "FloatTrueDiv", "TruncToInt", "ModularIndexing", "Where", "floor", "ceiling", "Eq", "Ne",
    "Le", "Lt", "Ge", "Gt", "And", "Or", "Not", "True", "False", "PowByNatural", "FloatPow",
    "RoundToInt", "Identity", "ToFloat", "sqrt", "Integer", "Symbol", "oo",
})
_EXPR_CHARS = re.compile(r"[A-Za-z0-9_ +\-*/%(),.<>=!]*")
_SYMBOL = re.compile(r"[a-z]+[0-9]+")
_ATTRIBUTE = re.compile(r"\.[A-Za-z_]")  # attribute access; "2.5" is fine
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_pt2_archive(path: Path) -> bool:
    """A zip holding ``*/models/*.json`` and ``*/archive_format`` (torch.export.save's layout)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any(n.endswith("/archive_format") for n in names) and \
        any("/models/" in n and n.endswith(".json") for n in names)


def code_risks(path: Path) -> list[str]:
    """Why loading `path` with ``torch.export.load`` could run code ([] when it cannot)."""
    risks: list[str] = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            base = name.rsplit("/", 1)[-1]
            if base.startswith("custom_obj"):
                risks.append(f"it holds a pickled custom object ({base})")
            elif name.endswith("_config.json") and "/data/" in name:
                config = _json(archive, name).get("config", {})
                pickled = [k for k, v in config.items()
                           if isinstance(v, dict) and v.get("use_pickle")]
                if pickled:
                    risks.append(f"{len(pickled)} tensors are stored as pickles "
                                 f"({', '.join(pickled[:3])})")
            elif "/data/sample_inputs/" in name and not _loads_as_tensors(archive.read(name)):
                risks.append("its sample inputs are pickled Python objects")
            elif "/models/" in name and name.endswith(".json"):
                bad = [e for e in _expressions(_json(archive, name)) if not _plain_expression(e)]
                if bad:
                    risks.append(f"a shape expression would be evaluated as Python: {bad[0]!r}")
    return risks


def _json(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        value = json.loads(archive.read(name))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _loads_as_tensors(data: bytes) -> bool:
    if not data:
        return True
    try:
        torch.load(io.BytesIO(data), weights_only=True)
    except Exception:  # noqa: BLE001 - any failure means torch would fall back to pickle
        return False
    return True


def _expressions(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "expr_str" and isinstance(item, str):
                yield item
            else:
                yield from _expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions(item)


def _plain_expression(text: str) -> bool:
    if "__" in text or not _EXPR_CHARS.fullmatch(text) or _ATTRIBUTE.search(text):
        return False
    for name in _IDENTIFIER.findall(text):
        if name not in _SYMPY_NAMES and not _SYMBOL.fullmatch(name):
            return False
    return True

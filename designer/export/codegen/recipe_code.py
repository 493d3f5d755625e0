"""The engine's recipe functions a script needs, copied from ``designer.training.recipe``.

``recipe.RECIPE`` lists the functions the engine and the generated script share. A script holds
only those its own code calls, directly or through another recipe function (``parameter_groups``
calls ``lr_factor``), found by reading the code with `ast`; so a run without the fine-tune recipe
or class weights carries none of their code, and a new recipe function costs a script nothing
until it uses it. Each function is also *specialised* for the run's fixed choices (solver,
schedule, precision): an ``if`` whose test those values decide keeps only the branch taken, and
code after a ``return`` that is now unconditional goes. Every kept line is the engine's line
(only dedented where its ``if`` went), and a docstring keeps its first paragraph.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from designer.training.recipe import RECIPE

_UNKNOWN = object()


def used_names(source: str) -> set[str]:
    """Every name `source` reads (calls included)."""
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def recipe_for(source: str, known: Mapping[str, Any] | None = None,
               recipe: Sequence[Callable[..., object]] = RECIPE) -> list[str]:
    """The (specialised) source of each recipe function `source` needs, in the recipe's order.

    known: parameter name (or ``function.parameter``) -> the value every call of the script
    passes for it.
    """
    known = known or {}

    def known_for(name: str) -> dict[str, Any]:
        return {**{k: v for k, v in known.items() if "." not in k},
                **{k.split(".", 1)[1]: v for k, v in known.items() if k.startswith(f"{name}.")}}

    texts = {f.__name__: specialise(inspect.getsource(f), known_for(f.__name__)) for f in recipe}
    wanted: set[str] = set()
    todo = used_names(source) & texts.keys()
    while todo:
        name = todo.pop()
        wanted.add(name)
        todo |= (used_names(texts[name]) & texts.keys()) - wanted
    return [texts[f.__name__] for f in recipe if f.__name__ in wanted]


def specialise(source: str, known: Mapping[str, Any]) -> str:
    """`source` (one function) with the branches `known` decides resolved (see the module doc)."""
    source = textwrap.dedent(source)
    function = ast.parse(source).body[0]
    if not isinstance(function, ast.FunctionDef):
        raise TypeError("specialise takes the source of one function")
    params = {a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)}
    lines = source.split("\n")
    keep, dedent, closing = [True] * len(lines), [0] * len(lines), [False] * len(lines)
    _short_docstring(function, keep, closing)
    _block(function.body, {k: v for k, v in known.items() if k in params}, keep, dedent)
    return "\n".join(line[dedent[i]:] + ('"""' if closing[i] else "")
                     for i, line in enumerate(lines) if keep[i])


def _short_docstring(function: ast.FunctionDef, keep: list[bool], closing: list[bool]) -> None:
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
            isinstance(first.value.value, str) and first.end_lineno is not None:
        doc = first.value.value
        if "\n\n" in doc:  # keep the first paragraph (the closing quotes move up to it)
            kept = doc.split("\n\n")[0].count("\n") + 1
            for index in range(first.lineno - 1 + kept, first.end_lineno):
                keep[index] = False
            closing[first.lineno - 2 + kept] = True


def _block(body: list[ast.stmt], known: Mapping[str, Any], keep: list[bool], dedent: list[int]) -> bool:
    """Resolve the statements of one block; True when the block now always returns."""
    for position, statement in enumerate(body):
        if _stmt(statement, known, keep, dedent):
            for dead in body[position + 1:]:
                _drop(dead.lineno, dead.end_lineno, keep)
            return True
    return False


def _stmt(statement: ast.stmt, known: Mapping[str, Any], keep: list[bool], dedent: list[int]) -> bool:
    if isinstance(statement, ast.Return | ast.Raise):
        return True
    if not isinstance(statement, ast.If):
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                _block(inner, known, keep, dedent)
        return False
    decided = _value(statement.test, known)
    if decided is _UNKNOWN or (not decided and _is_elif(statement)):
        returns = _block(statement.body, known, keep, dedent)
        other = _block(statement.orelse, known, keep, dedent) if statement.orelse else False
        return returns and other
    taken = statement.body if decided else statement.orelse
    if not taken:
        _drop(statement.lineno, statement.end_lineno, keep)
        return False
    first, last = taken[0].lineno, taken[-1].end_lineno or taken[-1].lineno
    _drop(statement.lineno, first - 1, keep)  # the `if` line (and `else:` when it is taken)
    _drop(last + 1, statement.end_lineno, keep)
    step = taken[0].col_offset - statement.col_offset
    for index in range(first - 1, last):
        dedent[index] += step
    return _block(taken, known, keep, dedent)


def _is_elif(statement: ast.If) -> bool:
    return len(statement.orelse) == 1 and isinstance(statement.orelse[0], ast.If) and \
        statement.orelse[0].col_offset == statement.col_offset


def _drop(start: int, end: int | None, keep: list[bool]) -> None:
    for index in range(start - 1, end if end is not None else start):
        keep[index] = False


def _value(test: ast.expr, known: Mapping[str, Any]) -> Any:
    """The test's truth when `known` decides it, else _UNKNOWN."""
    if isinstance(test, ast.BoolOp):
        values = [_value(v, known) for v in test.values]
        stop = isinstance(test.op, ast.Or)  # `or` stops at a true value, `and` at a false one
        if any(v is not _UNKNOWN and bool(v) == stop for v in values):
            return stop
        return _UNKNOWN if any(v is _UNKNOWN for v in values) else not stop
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        value = _value(test.operand, known)
        return value if value is _UNKNOWN else not value
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is | ast.IsNot):
        left, right = _operand(test.left, known), _operand(test.comparators[0], known)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        return (left is right) == isinstance(test.ops[0], ast.Is)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right = _operand(test.left, known), _operand(test.comparators[0], known)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        op = test.ops[0]
        compare = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
                   ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}.get(type(op))
        return _UNKNOWN if compare is None else compare(left, right)
    return _UNKNOWN


def _operand(node: ast.expr, known: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return known.get(node.id, _UNKNOWN)
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _UNKNOWN

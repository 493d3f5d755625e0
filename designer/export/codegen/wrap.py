"""Keep generated statements within the script's line length (110), black-style."""

from __future__ import annotations

WIDTH = 110
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def wrap(statement: str, indent: int, width: int = WIDTH) -> list[str]:
    """`statement` as one or more lines (without the indent) that fit in `width` columns.

    A trailing ``  # comment`` moves above the code when the line is too long; a call or a
    list whose contents do not fit is split after its opening bracket, recursively.
    """
    if indent + len(statement) <= width:
        return [statement]
    code, _, comment = statement.partition("  # ")
    return [*([f"# {comment}"] if comment else []), *_split(code, indent, width)]


def _split(code: str, indent: int, width: int) -> list[str]:
    suffix = "," if code.endswith(",") else ""
    core = code[: len(code) - len(suffix)]
    opening = _opening_of_last_bracket(core)
    if indent + len(code) <= width or opening is None:
        return [code]
    head, inner, close = core[: opening + 1], core[opening + 1 : -1], core[-1]
    arguments = split_arguments(inner)
    joined = ", ".join(arguments)
    if indent + 4 + len(joined) <= width:
        return [head, f"    {joined}", close + suffix]
    body = [f"    {line}" for a in arguments for line in _split(f"{a},", indent + 4, width)]
    return [head, *body, close + suffix]


def _opening_of_last_bracket(code: str) -> int | None:
    """Index of the bracket matching the one that ends `code`, or None."""
    if not code or code[-1] not in ")]}":
        return None
    depth = 0
    for index in range(len(code) - 1, -1, -1):
        char = code[index]
        if char in ")]}":
            depth += 1
        elif char in "([{":
            depth -= 1
            if depth == 0:
                return index
    return None


def split_arguments(text: str) -> list[str]:
    """Split at top-level commas (not inside brackets or string literals)."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in _PAIRS:
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    last = text[start:].strip()
    if last:
        parts.append(last)
    return parts

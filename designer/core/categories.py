"""Layer categories: how a kind of operation is grouped in the library and coloured on the canvas.

Declared as data (Netron's idea): adding a kind means adding a line here, not touching a view.
"""

from __future__ import annotations

import re

#: category -> (fill colour, one-line description) used by the canvas legend and library
CATEGORIES: dict[str, tuple[str, str]] = {
    "input": ("#8fa3b8", "Network input"),
    "output": ("#8fa3b8", "Network output"),
    "conv": ("#4e79a7", "Convolution"),
    "linear": ("#59a14f", "Fully connected"),
    "norm": ("#76b7b2", "Normalisation"),
    "activation": ("#f28e2b", "Activation"),
    "pool": ("#b07aa1", "Pooling"),
    "dropout": ("#bab0ac", "Regularisation"),
    "attention": ("#e15759", "Attention"),
    "merge": ("#edc948", "Merge (add, concatenate, multiply)"),
    "reshape": ("#9c755f", "Reshape (flatten, permute, view)"),
    "block": ("#5f7f9f", "Block of layers"),
    "other": ("#a0a0a0", "Other operation"),
}

_EXACT: dict[str, str] = {
    "add": "merge", "iadd": "merge", "mul": "merge", "imul": "merge", "cat": "merge",
    "concat": "merge", "sub": "merge", "matmul": "attention", "bmm": "attention",
    "softmax": "activation", "sigmoid": "activation", "relu": "activation",
    "gelu": "activation", "silu": "activation", "hardswish": "activation",
    "hardsigmoid": "activation", "tanh": "activation", "relu_": "activation",
    "flatten": "reshape", "reshape": "reshape", "view": "reshape", "permute": "reshape",
    "transpose": "reshape", "contiguous": "reshape", "squeeze": "reshape",
    "unsqueeze": "reshape", "expand": "reshape", "chunk": "reshape", "split": "reshape",
    "getitem": "reshape", "mean": "pool", "adaptive_avg_pool2d": "pool",
    "avg_pool2d": "pool", "max_pool2d": "pool", "dropout": "dropout",
    "layer_norm": "norm", "input": "input", "output": "output",
}

_PATTERNS: list[tuple[str, str]] = [
    (r"attention|attn|mha", "attention"),
    (r"conv", "conv"),
    (r"linear|dense|classifier", "linear"),
    (r"norm|bn\b|batchnorm", "norm"),
    (r"pool", "pool"),
    (r"dropout|drop|stochasticdepth|droppath", "dropout"),
    (r"relu|gelu|silu|swish|sigmoid|tanh|softmax|elu|mish|act|hardswish|prelu|identity", "activation"),
    (r"flatten|reshape|permute|view|squeeze", "reshape"),
]


def category_of(kind: str) -> str:
    """Category of a layer kind such as 'Conv2d', 'BatchNormAct2d' or 'add'."""
    lowered = kind.lower()
    if lowered in _EXACT:
        return _EXACT[lowered]
    for pattern, category in _PATTERNS:
        if re.search(pattern, lowered):
            return category
    return "other"


def colour_of(category: str) -> str:
    """Fill colour of a category (unknown categories get the 'other' colour)."""
    return CATEGORIES.get(category, CATEGORIES["other"])[0]

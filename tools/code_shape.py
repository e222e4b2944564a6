"""Print the shape of the code: module sizes and function lengths under a source tree.

Module size is the number of lines of each ``.py`` file. Function length runs from the
``def`` line to the function's last line (docstring included, decorators not); nested
functions and methods are counted on their own. Usage::

    python tools/code_shape.py [src/gsomia]
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

LIMIT = 600


def _percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


def _function_lengths(tree: ast.AST) -> list[int]:
    return [
        (node.end_lineno or node.lineno) - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def _line(name: str, values: list[int]) -> str:
    return (
        f"{name}: count {len(values)}, median {statistics.median(values):g}, "
        f"p90 {_percentile(values, 0.9)}, max {max(values)}"
    )


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "src/gsomia")
    sizes: dict[Path, int] = {}
    functions: list[int] = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        sizes[path] = len(text.splitlines())
        functions.extend(_function_lengths(ast.parse(text, filename=str(path))))
    modules = list(sizes.values())
    over = sorted((n, p) for p, n in sizes.items() if n > LIMIT)
    print(_line("module lines", modules) + f", over {LIMIT}: {len(over)}")
    for n, p in over:
        print(f"  {n:5d} {p.relative_to(root)}")
    print(_line("function lines", functions))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""The `calculate` tool's evaluator: numbers, + - * / and parentheses, never eval()."""

from __future__ import annotations

import ast
import operator

from ..errors import ToolError

_ALLOWED_CHARS = set("0123456789+-*/(). ")
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def evaluate_arithmetic(expression: str) -> float:
    """Evaluate + - * / and parentheses on numbers, nothing else (no names, calls or powers)."""
    if not expression.strip():
        raise ToolError("invalid expression: empty expression")
    bad = sorted(set(expression) - _ALLOWED_CHARS)
    if bad:
        raise ToolError(f"invalid expression: invalid characters {''.join(bad)!r}; "
                        "use digits, + - * / ( ) . and spaces")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ToolError(f"invalid expression {expression!r}: only numbers, + - * / and parentheses") from None

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        raise ToolError(f"invalid expression {expression!r}: only numbers, + - * / and parentheses")

    try:
        return float(walk(tree))
    except ZeroDivisionError:
        raise ToolError("division by zero") from None


def calculate_text(expression: str) -> str:
    """The `calculate` tools' answer: the value rounded to 2 decimals, as text."""
    return str(round(evaluate_arithmetic(expression), 2))

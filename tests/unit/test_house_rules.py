"""House rules a future change could break silently: the domain never imports streamlit, settings are documented."""

import ast
from pathlib import Path

from modules import store
from modules.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_domain_modules_never_import_streamlit():
    offenders = []
    for path in (ROOT / "modules").rglob("*.py"):
        if "pages" in path.relative_to(ROOT / "modules").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name == "streamlit" or name.startswith("streamlit.") for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], "\n".join(offenders)


def test_every_setting_is_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in SETTINGS if f"`{name}`" not in readme] == []


def test_yaml_is_only_loaded_with_safe_loaders():
    unsafe = []
    for path in list((ROOT / "modules").rglob("*.py")) + [ROOT / "app.py"]:
        text = path.read_text(encoding="utf-8")
        if "yaml.load(" in text or "yaml.unsafe_load" in text or "yaml.full_load" in text:
            unsafe.append(str(path.relative_to(ROOT)))
    assert unsafe == []


# Each layer may import only itself and the layers listed: pages -> domain -> store -> core.
LAYERS = {"core": {"core"}, "store": {"core", "store"}, "domain": {"core", "store", "domain"},
          "pages": {"core", "store", "domain", "pages"}}


def _layer(path: Path) -> str:
    parts = path.relative_to(ROOT / "modules").parts
    return parts[0] if len(parts) > 1 and parts[0] in ("core", "store", "pages") else "domain"


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _target_layer(name: str) -> str | None:
    if name != "modules" and not name.startswith("modules."):
        return None
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in ("core", "store", "pages"):
        return parts[1]
    return "domain"


def test_layers_import_only_inward():
    offenders = []
    for path in sorted((ROOT / "modules").rglob("*.py")):
        layer = _layer(path)
        for name in _imported_modules(path):
            target = _target_layer(name)
            if target is not None and name != "modules" and target not in LAYERS[layer]:
                offenders.append(f"{path.relative_to(ROOT)} ({layer}) imports {name} ({target})")
    assert offenders == [], "\n".join(offenders)


def test_only_the_store_touches_the_database():
    """All SQL sits behind the store's front door: nobody else imports SQLAlchemy, the schema or a store part."""
    offenders = []
    for path in sorted(list((ROOT / "modules").rglob("*.py")) + [ROOT / "app.py"]):
        if _layer(path) == "store" if path.is_relative_to(ROOT / "modules") else False:
            continue
        text = path.read_text(encoding="utf-8")
        for name in _imported_modules(path):
            if name.split(".")[0] in ("sqlalchemy", "alembic", "psycopg", "sqlite3") or (
                    name.startswith("modules.store.") and name.removeprefix("modules.store.") not in store.__all__):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
        for private in (".engine", "._db", "._write", "._read"):
            if private in text:
                offenders.append(f"{path.relative_to(ROOT)} uses {private}")
    assert offenders == [], "\n".join(offenders)

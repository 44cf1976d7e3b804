"""House rules a future change could break silently: the domain never imports streamlit, settings are documented."""

import ast
from pathlib import Path

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
    assert offenders == []


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

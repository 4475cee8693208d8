"""docs/settings.md and the README's settings table are generated from settings/base.py; stale copies fail here."""

from pathlib import Path

from crawler.config import README, readme_with_table, settings_markdown

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "regenerate with: .venv/bin/python -m crawler.config --write-docs"


def test_docs_settings_md_is_current() -> None:
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == settings_markdown(), REGENERATE


def test_readme_settings_table_is_current() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), REGENERATE


def test_docs_list_every_setting_and_variable() -> None:
    from settings.env import NOT_SETTINGS, specs

    doc = settings_markdown()
    for setting in specs():
        assert f"| `{setting.variable}`" in doc
    for name in NOT_SETTINGS:
        assert f"| `{name}` |" in doc

"""docs/development.md, where README's part for contributors went, links what exists."""

from .validity import REPO_ROOT, check_readme_links


def test_development_doc_links_exist() -> None:
    """Every relative link and image of docs/development.md points at a file."""
    assert check_readme_links(REPO_ROOT / "docs" / "development.md") == []

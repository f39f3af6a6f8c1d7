"""Template syntax that renders silently wrong."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_template_comment_spans_lines():
    """Django's `{# … #}` ends at the line's end: one left open is printed on the page
    (`{% comment %}` is the multi-line form)."""
    opened = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.count("{#") > line.count("#}"):
                opened.append(f"{path.relative_to(ROOT)}:{number}")
    assert opened == []

"""Pictures where a person would rather look than read: README's first screen shows what
``make demo`` writes (a Segmentation over its CT, a presentation state), and every picture
README.md or docs/*.md shows is a PNG in the repository, small enough to keep there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PICTURE = re.compile(r'<img src="([^"]+)"|!\[[^\]]*\]\(([^)\s]+)\)')


def pictures(md: Path) -> list[Path]:
    return [md.parent / (a or b) for a, b in PICTURE.findall(md.read_text())]


def test_readme_shows_what_the_demo_writes_near_the_top() -> None:
    text = (ROOT / "README.md").read_text()
    first = text.index("<img") if "<img" in text else len(text)
    assert first < text.index("## Using the builders"), "no picture before the API sections"
    names = {p.name for p in pictures(ROOT / "README.md")}
    assert {"seg-over-ct.png", "gsps-on-ct.png"} <= names


@pytest.mark.parametrize(
    "md", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_every_picture_shown_is_a_small_png_here(md: Path) -> None:
    PIL = pytest.importorskip("PIL.Image", reason="Pillow: pip install 'iodkit[render]'")
    for path in pictures(md):
        assert path.is_file(), f"{md.name} shows {path}, which is not in the repository"
        assert path.stat().st_size < 150_000, f"{path.name}: keep pictures under 150 kB"
        with PIL.open(path) as image:
            assert image.format == "PNG" and min(image.size) >= 200

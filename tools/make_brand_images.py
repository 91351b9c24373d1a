"""Draw the integration's brand icons (original artwork, not Twilio's logo).

A speech bubble with three "signal" dots on a deep-red rounded square: the
shape says messaging, the dots say tracked sends. Drawn at 4x and scaled down
for smooth edges. Run: python tools/make_brand_images.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND_DIR = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "twilio_comms"
    / "brand"
)
BACKGROUND = (176, 30, 45, 255)
FOREGROUND = (255, 255, 255, 255)
# Supersampling factor: drawing large and downscaling gives anti-aliased edges.
SUPERSAMPLE = 4


def draw_icon(size: int) -> Image.Image:
    """Return the icon drawn at the given pixel size."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = big / 16
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=3 * unit, fill=BACKGROUND)
    # The bubble body and its tail.
    draw.rounded_rectangle(
        (3 * unit, 3.5 * unit, 13 * unit, 10.5 * unit), radius=2 * unit, fill=FOREGROUND
    )
    draw.polygon(
        [(5 * unit, 10 * unit), (5 * unit, 13 * unit), (8 * unit, 10 * unit)],
        fill=FOREGROUND,
    )
    # Three dots inside the bubble.
    for x in (5.5, 8, 10.5):
        draw.ellipse(
            ((x - 0.8) * unit, 6.2 * unit, (x + 0.8) * unit, 7.8 * unit),
            fill=BACKGROUND,
        )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write icon.png (256 px) and icon@2x.png (512 px)."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    draw_icon(256).save(BRAND_DIR / "icon.png", optimize=True)
    draw_icon(512).save(BRAND_DIR / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()

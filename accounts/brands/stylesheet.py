"""A brand's colours as the CSS variables portal.css reads (served as a stylesheet: the
Content-Security-Policy allows no inline styles)."""

from accounts.brands.models import HEX_COLOUR

VARIABLES = {
    "primary_colour": "--brand",
    "primary_ink_colour": "--brand-ink",
    "soft_colour": "--brand-soft",
    "sidebar_colour": "--sidebar",
}


def css_for(colours):
    """`colours`: field name -> `#rrggbb`. Anything else is dropped, never written."""
    lines = [
        f"  {var}: {colours[field]};" for field, var in VARIABLES.items() if HEX_COLOUR.match(colours.get(field) or "")
    ]
    return ":root {\n" + "\n".join(lines) + "\n}\n"


def brand_colours(brand):
    return {field: getattr(brand, field) for field in VARIABLES}

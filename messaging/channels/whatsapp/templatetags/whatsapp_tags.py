from django import template

register = template.Library()


@register.filter
def duration_left(value):
    """A window's remaining time as "23 h 5 min" / "4 min"."""
    minutes = int(value.total_seconds() // 60) if value else 0
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"

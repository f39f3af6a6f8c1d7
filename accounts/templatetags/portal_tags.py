from django import template

from accounts.permissions import UnknownPermission, permission_named
from accounts.services.audit import action_label

register = template.Library()


@register.tag("can")
def can(parser, token):
    """`{% can "send" %}…{% else %}…{% endcan %}`: the first part when the member's role grants the permission.

    The name must be a quoted `Permission` value; anything else is a TemplateSyntaxError when the
    template is compiled, so a typo breaks the page (and its tests) instead of hiding the block.
    The block form, not a filter inside `{% if %}`, because `{% if %}` turns errors inside `and`/`or`/`in`
    into a silent False. Combine with other conditions by nesting an `{% if %}`.
    """
    bits = token.split_contents()
    if len(bits) != 2 or len(bits[1]) < 2 or bits[1][0] not in "'\"" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError('{% can %} takes one quoted permission name: {% can "send" %}.')
    try:
        permission = permission_named(bits[1][1:-1])
    except UnknownPermission as exc:
        raise template.TemplateSyntaxError(str(exc)) from exc
    nodelist_true = parser.parse(("else", "endcan"))
    nodelist_false = template.NodeList()
    if parser.next_token().contents == "else":
        nodelist_false = parser.parse(("endcan",))
        parser.delete_first_token()
    return CanNode(permission, nodelist_true, nodelist_false)


class CanNode(template.Node):
    child_nodelists = ("nodelist_true", "nodelist_false")

    def __init__(self, permission, nodelist_true, nodelist_false):
        self.permission = permission
        self.nodelist_true = nodelist_true
        self.nodelist_false = nodelist_false

    def render(self, context):
        # The request's membership (AccountMiddleware), not a context variable a loop could shadow.
        membership = getattr(context.get("request"), "membership", None)
        allowed = membership is not None and membership.can(self.permission)
        return (self.nodelist_true if allowed else self.nodelist_false).render(context)


@register.filter
def audit_label(action):
    return action_label(action)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None

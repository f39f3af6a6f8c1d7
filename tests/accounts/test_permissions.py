"""The page-permission vocabulary: roles grant, views require and templates check the names of
`accounts.permissions.Permission`, and an unknown name fails loudly in each place."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError, engines
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import ROLE_PERMISSIONS, Membership, Role
from accounts.permissions import Permission, UnknownPermission, account_required, permission_named

ROOT = Path(settings.BASE_DIR)
APPS = ("accounts", "contacts", "messaging", "portal", "voice")
CAN_TAG = re.compile(r"""\{%\s*can\s+(["'])(?P<name>[^"']*)\1\s*%\}""")


def _python_sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _template_files():
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    dirs += [p for app in APPS for p in (ROOT / app).rglob("templates") if p.is_dir()]
    for directory in dirs:
        for path in sorted(directory.rglob("*.html")):
            yield directory, path


def _url_callbacks(resolver=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _url_callbacks(entry)
        elif isinstance(entry, URLPattern):
            yield entry.lookup_str, entry.callback


def _decorator_arguments():
    """(file:line, argument node) of every `account_required(...)` call in the apps' code."""
    for path in _python_sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                "account_required",
            ):
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", arg


def _argument_name(arg):
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Attribute) and getattr(arg.value, "id", None) == "Permission":
        return Permission[arg.attr].value if arg.attr in Permission.__members__ else f"Permission.{arg.attr}"
    return None


# The vocabulary and the roles.


def test_roles_grant_only_names_of_the_vocabulary_and_the_owner_everything():
    assert set(ROLE_PERMISSIONS) == set(Role)
    for granted in ROLE_PERMISSIONS.values():
        assert all(isinstance(p, Permission) for p in granted)
    assert ROLE_PERMISSIONS[Role.OWNER] == frozenset(Permission)
    assert ROLE_PERMISSIONS[Role.ANALYST] == frozenset()
    assert Permission.VIEW_AUDIT not in ROLE_PERMISSIONS[Role.ADMIN]


def test_a_membership_refuses_an_unknown_name():
    member = Membership(role=Role.OWNER)
    assert member.can("send") and member.can(Permission.MANAGE_TEAM)
    assert not Membership(role=Role.ANALYST).can("send")
    with pytest.raises(UnknownPermission, match="'sned'"):
        member.can("sned")


def test_permission_named_lists_the_known_names():
    assert permission_named("view_audit") is Permission.VIEW_AUDIT
    with pytest.raises(UnknownPermission, match="known: manage_team, manage_keys"):
        permission_named("view_reports")


# Views: the decorator refuses an unknown name when it decorates, so at import time.


def test_the_decorator_refuses_an_unknown_name_when_it_decorates():
    with pytest.raises(UnknownPermission):
        account_required("manage_key")
    with pytest.raises(UnknownPermission):
        account_required("")
    view = account_required(Permission.SEND)(lambda request: None)
    assert view.required_permission is Permission.SEND
    assert account_required("view_audit")(lambda request: None).required_permission is Permission.VIEW_AUDIT
    assert account_required()(lambda request: None).required_permission is None


def test_every_decorator_in_the_code_names_a_known_permission():
    found = list(_decorator_arguments())
    assert len(found) > 50  # the scan sees the views
    bad = [(where, ast.unparse(arg)) for where, arg in found if _argument_name(arg) not in Permission.values]
    assert bad == [], "account_required() takes a literal name of accounts.permissions.Permission"


def test_every_routed_page_requires_a_known_permission_and_every_permission_guards_a_page():
    required = {}
    for name, callback in _url_callbacks():
        if hasattr(callback, "required_permission"):
            permission = callback.required_permission
            assert permission is None or isinstance(permission, Permission), name
            required.setdefault(permission, []).append(name)
    assert len(required.get(None, [])) > 10
    # A name no page requires is dead vocabulary (as `view_reports` was): remove it or use it.
    assert set(Permission) <= set(required), set(Permission) - set(required)


def test_python_code_checks_permissions_only_by_known_names():
    bad = []
    for path in _python_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "can" and node.args:
                name = _argument_name(node.args[0])
                if name is not None and name not in Permission.values:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert bad == []


# Templates: {% can %} refuses an unknown name when the template is compiled.


def _render(source, role=None):
    request = RequestFactory().get("/")
    request.membership = Membership(role=role) if role else None
    return Template("{% load portal_tags %}" + source).render(Context({"request": request}))


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.OWNER, "yes"), (Role.DEVELOPER, "yes"), (Role.ANALYST, "no"), (None, "no")],
)
def test_the_can_tag_renders_by_the_members_role(role, expected):
    assert _render('{% can "send" %}yes{% else %}no{% endcan %}', role) == expected
    assert _render('{% can "view_audit" %}audit{% endcan %}', role) == ("audit" if role == Role.OWNER else "")


def test_the_can_tag_reads_the_requests_membership_not_a_context_variable():
    source = '{% for membership in members %}{% can "send" %}x{% endcan %}{% endfor %}'
    request = RequestFactory().get("/")
    request.membership = Membership(role=Role.ANALYST)
    html = Template("{% load portal_tags %}" + source).render(
        Context({"request": request, "members": [Membership(role=Role.OWNER)]})
    )
    assert html == ""


@pytest.mark.parametrize(
    "source",
    [
        '{% can "sned" %}x{% endcan %}',
        '{% can "view_reports" %}x{% endcan %}',
        "{% can send %}x{% endcan %}",
        '{% can "send" "manage_keys" %}x{% endcan %}',
        "{% can %}x{% endcan %}",
    ],
)
def test_the_can_tag_refuses_unknown_or_unquoted_names_at_compile_time(source):
    # Even in a branch that would never render: the template does not compile.
    with pytest.raises(TemplateSyntaxError):
        Template("{% load portal_tags %}{% if False %}" + source + "{% endif %}")


def test_every_template_compiles_and_checks_only_known_permissions():
    engine = engines["django"]
    names, checked = [], 0
    for directory, path in _template_files():
        text = path.read_text()
        engine.get_template(str(path.relative_to(directory)))  # an unknown {% can %} name raises here
        for match in CAN_TAG.finditer(text):
            names.append(match["name"])
        checked += 1
        # The old spelling would quietly be False for everyone: templates use {% can %} only.
        assert "role_permissions" not in text, path
        assert not re.search(r"\bmembership\.can\b|\bperms\.", text), path
    assert checked > 50 and len(names) > 30
    assert set(names) <= set(Permission.values), set(names) - set(Permission.values)

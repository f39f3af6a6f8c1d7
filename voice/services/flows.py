"""Flows: create, change, delete; every caller (pages, API, the TTS call) goes through here."""

import json

from django.db import transaction

from accounts.services import audit
from portal.core.errors import FieldErrors, ValidationFailed
from voice.flows import definition as flow_definition
from voice.models import Flow

MAX_DEFINITION_BYTES = 64 * 1024
MAX_VARIABLES = 50


def parse_definition(raw):
    """A definition from a dict or JSON text (the editor posts text)."""
    if isinstance(raw, dict):
        return raw
    text = str(raw or "")
    if len(text.encode()) > MAX_DEFINITION_BYTES:
        raise ValidationFailed({"definition": ["The flow is too large (64 KB at most)."]})
    try:
        value = json.loads(text)
    except ValueError:
        raise ValidationFailed({"definition": ["The flow must be valid JSON."]}) from None
    if not isinstance(value, dict):
        raise ValidationFailed({"definition": ["The flow must be a JSON object."]})
    return value


def _name(name):
    name = str(name or "").strip()
    errors = FieldErrors()
    if not name:
        errors.add("name", "The name field is required.")
    elif len(name) > 100:
        errors.add("name", "The name may not be greater than 100 characters.")
    errors.raise_if_any()
    return name


def create_flow(*, account, name, definition, generated=False, actor=None):
    name = _name(name)
    clean = flow_definition.validate(parse_definition(definition))
    with transaction.atomic():
        flow = Flow.objects.create(
            account=account,
            name=name,
            definition=clean,
            variables=flow_definition.variables_of(clean),
            generated=generated,
        )
        if not generated:
            audit.record("voice.flow_created", account=account, actor=actor, target=str(flow.pk))
    return flow


def update_flow(*, flow, name, definition, actor=None):
    flow.name = _name(name)
    flow.definition = flow_definition.validate(parse_definition(definition))
    flow.variables = flow_definition.variables_of(flow.definition)
    with transaction.atomic():
        flow.save(update_fields=["name", "definition", "variables", "updated_at"])
        audit.record("voice.flow_updated", account=flow.account, actor=actor, target=str(flow.pk))
    return flow


def delete_flow(*, flow, actor=None):
    with transaction.atomic():
        audit.record("voice.flow_deleted", account=flow.account, actor=actor, target=str(flow.pk))
        flow.delete()


def check_variables(flow, supplied):
    """The supplied values as text, or a 422 naming each flow variable left out."""
    supplied = supplied or {}
    if not isinstance(supplied, dict):
        raise ValidationFailed({"variables": ["The variables must be an object of name: value."]})
    if len(supplied) > MAX_VARIABLES:
        raise ValidationFailed({"variables": [f"The variables may not have more than {MAX_VARIABLES} items."]})
    errors = FieldErrors()
    for name in flow.variables if flow else ():
        if str(supplied.get(name, "")).strip() == "":
            errors.add(f"variables.{name}", f"The variables.{name} field is required by flow {flow.pk}.")
    for key, value in supplied.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool) or len(str(value)) > 500:
            errors.add(f"variables.{key}", f"The variables.{key} must be text of 500 characters at most.")
    errors.raise_if_any()
    return {str(k): str(v) for k, v in supplied.items()}


def graph(flow_def):
    """Nodes and edges for the editor's graph view: [(id, type, label)], [(from, to, label)]."""
    nodes, edges = [], []
    for step in flow_def["steps"]:
        nodes.append((step["id"], step["type"], step.get("text") or step.get("prompt") or step.get("audio") or ""))
        for field in flow_definition.EXITS.get(step["type"], ()):
            if step.get(field):
                edges.append((step["id"], step[field], "" if field == "next" else field))
        for value, target in step.get("cases", {}).items():
            edges.append((step["id"], target, value))
    return nodes, edges

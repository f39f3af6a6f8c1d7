"""Segment pages: the list, the rule builder (rows added and removed with HTMX, a live member
count as rules change), and a segment's members."""

import contextlib
import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from contacts.filters import SegmentFilterSet
from contacts.models import Contact, Segment, SegmentType, TagOperator
from contacts.pages import rules as builder
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from portal.core.errors import DomainError, ValidationFailed
from portal.core.tenancy import get_for_account_or_404
from portal.pages import list_page
from portal.pagination import paginate


def _segment(request, pk):
    return get_for_account_or_404(Segment, request.account, pk=pk)


@account_required()
def segment_list(request):
    return list_page(
        request,
        Segment.objects.for_account(request.account).order_by("name", "id"),
        SegmentFilterSet,
        "contacts/segment_list.html",
        "contacts/partials/segment_table.html",
        types=SegmentType.choices,
    )


def _names(value):
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def _body(request):
    """The service body from the builder form."""
    post = request.POST
    kind = post.get("type") or SegmentType.DYNAMIC
    data = {"name": post.get("name", ""), "type": kind}
    if kind == SegmentType.DYNAMIC:
        conditions = builder.conditions_from_rows(builder.rows_from_post(post))
        with contextlib.suppress(ValueError):
            conditions += json.loads(post.get("nested_rules") or "[]")
        data.update(
            {
                "rules": {"match": post.get("match") or "all", "conditions": conditions} if conditions else {},
                "positive_tags": _names(post.get("positive_tags")),
                "positive_tags_operator": post.get("positive_tags_operator") or TagOperator.ANY,
                "negative_tags": _names(post.get("negative_tags")),
                "negative_tags_operator": post.get("negative_tags_operator") or TagOperator.ANY,
            }
        )
    return data


def _form_context(request, segment=None, *, post=None, errors=None):
    if post is not None:
        rows = builder.rows_from_post(post)
        values = {
            k: post.get(k, "")
            for k in ("name", "type", "match", "positive_tags", "positive_tags_operator", "negative_tags")
        }
        values["negative_tags_operator"] = post.get("negative_tags_operator", "")
        nested = post.get("nested_rules") or "[]"
    elif segment is not None:
        data = segment_services.segment_data(segment)
        rows = builder.rows_from_rules(request.account, segment.rules)
        values = {
            "name": segment.name,
            "type": segment.type,
            "match": (segment.rules or {}).get("match", "all"),
            "positive_tags": ", ".join(data["positive_tags"]),
            "positive_tags_operator": segment.positive_tags_operator,
            "negative_tags": ", ".join(data["negative_tags"]),
            "negative_tags_operator": segment.negative_tags_operator,
        }
        nested = json.dumps(builder.nested_groups(segment.rules))
    else:
        rows, values, nested = [builder.row()], {"type": SegmentType.DYNAMIC, "match": "all"}, "[]"
    return {
        "segment": segment,
        "rows": rows,
        "values": values,
        "nested": nested,
        "has_nested": nested not in ("", "[]"),
        "errors": errors or [],
        "field_groups": builder.FIELD_GROUPS,
        "types": SegmentType.choices,
        "operators": TagOperator.choices,
    }


def _save(request, save, segment=None):
    if request.method == "POST":
        try:
            saved = save(_body(request))
        except DomainError as exc:
            lines = builder.error_lines(getattr(exc, "errors", None) or {exc.field or "": [exc.message]})
            ctx = _form_context(request, segment, post=request.POST, errors=lines)
            return render(request, "contacts/segment_form.html", ctx, status=422)
        messages.success(
            request, f"Segment {saved.name} saved: {saved.member_count} contact{pluralize(saved.member_count)}."
        )
        return redirect("contacts:segment_detail", saved.pk)
    return render(request, "contacts/segment_form.html", _form_context(request, segment))


@account_required("send")
def segment_create(request):
    return _save(
        request,
        lambda data: segment_services.create_segment(
            account=request.account, data=data, actor=request.user, request=request
        ),
    )


@account_required("send")
def segment_edit(request, pk):
    segment = _segment(request, pk)

    def save(data):
        if segment.type == SegmentType.STATIC:
            data = {"name": data["name"]}
            return segment_services.update_segment(
                segment=segment, data=data, actor=request.user, request=request, full=False
            )
        return segment_services.update_segment(segment=segment, data=data, actor=request.user, request=request)

    return _save(request, save, segment)


@account_required("send")
@require_POST
def segment_delete(request, pk):
    segment = _segment(request, pk)
    segment_services.delete_segment(segment=segment, actor=request.user, request=request)
    messages.success(request, f"Segment {segment.name} deleted.")
    return redirect("contacts:segment_list")


@account_required()
def segment_rule_row(request):
    """A fresh builder row (Add rule), or the same row re-rendered for a new field (its
    operators change with the field)."""
    params = request.GET
    row = builder.row(
        params.get("rule_field", ""),
        params.get("rule_key", ""),
        params.get("rule_op", ""),
        params.get("rule_value", ""),
    )
    response = render(
        request, "contacts/partials/segment_rule_row.html", {"row": row, "field_groups": builder.FIELD_GROUPS}
    )
    response["HX-Trigger"] = "rules-changed"
    return response


@account_required()
def segment_rule_remove(request):
    response = HttpResponse("")
    response["HX-Trigger"] = "rules-changed"
    return response


@account_required()
@require_POST
def segment_count(request):
    """The live member count under the rule builder: the unsaved rules evaluated in SQL."""
    total = Contact.objects.for_account(request.account).count()
    ctx = {"total": total, "errors": []}
    data = _body(request)
    data.pop("name", None)
    if request.POST.get("segment") and data.get("type") == SegmentType.STATIC:
        segment = _segment(request, request.POST["segment"])
        ctx["count"] = segment_services.segment_contacts(segment).count()
    else:
        try:
            ctx["count"] = segment_services.preview_count(account=request.account, data=data)
        except ValidationFailed as exc:
            ctx["errors"] = builder.error_lines(exc.errors)
    if "count" in ctx and total:
        ctx["percent"] = round(ctx["count"] * 100 / total)
    return render(request, "contacts/partials/segment_count.html", ctx)


@account_required()
def segment_detail(request, pk):
    segment = _segment(request, pk)
    segment_services.count_segment(segment)
    members = contact_services.with_relations(segment_services.segment_contacts(segment).order_by("-id"))
    ctx = {
        "segment": segment,
        "data": segment_services.segment_data(segment),
        "page": paginate(request, members),
        "rows": builder.rows_from_rules(request.account, segment.rules),
        "has_nested": bool(builder.nested_groups(segment.rules)),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "contacts/partials/segment_members.html", ctx)
    return render(request, "contacts/segment_detail.html", ctx)


@account_required("send")
@require_POST
def segment_member_remove(request, pk, contact_id):
    segment = _segment(request, pk)
    if segment.type != SegmentType.STATIC:
        messages.error(request, "Members of a dynamic segment follow its rules; change the rules instead.")
    else:
        segment_services.remove_segment_members(segment=segment, contact_ids=[contact_id])
    return redirect("contacts:segment_detail", segment.pk)

"""Staff pages for the operator tables: number ranges per country (one at a time or from a CSV)
and ported numbers (from a CSV)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import staff_required
from messaging.operators import services
from messaging.operators.forms import LoadForm, PrefixForm
from messaging.operators.models import OperatorPrefix, PortedNumber
from portal.core.errors import ValidationFailed

SHOWN = 200


def _page(request, *, prefix_form=None, load_form=None, status=200):
    iso = request.GET.get("iso", "").upper()[:2]
    rows = OperatorPrefix.objects.all()
    if iso:
        rows = rows.filter(iso=iso)
    ctx = {
        "iso": iso,
        "countries": OperatorPrefix.objects.values("iso").annotate(n=Count("id")).order_by("iso"),
        "prefixes": rows[:SHOWN],
        "total": rows.count(),
        "shown": SHOWN,
        "ported": PortedNumber.objects.count(),
        "prefix_form": prefix_form or PrefixForm(),
        "load_form": load_form or LoadForm(),
    }
    return render(request, "operators/staff.html", ctx, status=status)


def _field_errors(form, exc, field):
    for messages_ in exc.errors.values():
        for message in messages_:
            form.add_error(field, message)


@staff_required
def operator_list(request):
    if request.method != "POST":
        return _page(request)
    form = PrefixForm(request.POST)
    if form.is_valid():
        try:
            row = services.save_prefix(**form.cleaned_data)
        except ValidationFailed as exc:
            _field_errors(form, exc, "prefix")
        else:
            messages.success(request, f"{row.iso} {row.prefix} is {row.operator}.")
            return redirect("operators:list")
    return _page(request, prefix_form=form, status=422)


@staff_required
@require_POST
def operator_load(request):
    form = LoadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
        else:
            try:
                count = services.load(text, kind=form.cleaned_data["kind"])
            except ValidationFailed as exc:
                _field_errors(form, exc, "file")
            else:
                messages.success(request, f"{count} entries loaded.")
                return redirect("operators:list")
    return _page(request, load_form=form, status=422)


@staff_required
@require_POST
def operator_delete(request, pk):
    row = get_object_or_404(OperatorPrefix, pk=pk)
    services.delete_prefix(row)
    messages.success(request, f"{row.iso} {row.prefix} removed.")
    return redirect("operators:list")

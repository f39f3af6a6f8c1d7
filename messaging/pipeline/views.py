"""Staff: supplier connectors (which connector carries each channel, at what rate)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from accounts.permissions import staff_required
from messaging.pipeline import channels, connectors, supplier_admin
from messaging.pipeline.models import SupplierConnector
from portal.core.errors import DomainError
from portal.pages import PageForm, form_errors_from


class ConnectorForm(PageForm):
    name = forms.SlugField(max_length=30, help_text="Stored on each message it carries; lowercase.")
    channel = forms.ChoiceField()
    kind = forms.ChoiceField(help_text="The connector implementation.")
    rate_per_second = forms.IntegerField(min_value=1, max_value=supplier_admin.MAX_RATE, initial=1000)
    enabled = forms.BooleanField(required=False, initial=True)
    is_default = forms.BooleanField(required=False, label="Default for its channel")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c, c) for c in channels.names()]
        self.fields["kind"].choices = [(k, k) for k in connectors.kinds()]


def _initial(row):
    fields = ("name", "channel", "kind", "rate_per_second", "enabled", "is_default")
    return {f: getattr(row, f) for f in fields} if row else None


@staff_required
def connector_list(request, pk=None):
    """The list, and the form to add a connector or edit one (`pk`)."""
    row = get_object_or_404(SupplierConnector, pk=pk) if pk else None
    form = ConnectorForm(request.POST or None, initial=_initial(row))
    if request.method == "POST" and form.is_valid():
        try:
            supplier_admin.save_connector(data=form.cleaned_data, existing=row, actor=request.user, request=request)
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, "Connector saved.")
            return redirect("connectors:connector_list")
    defaults = {c: connectors.for_channel(c) for c in channels.names()}
    ctx = {"rows": SupplierConnector.objects.all(), "form": form, "editing": row, "defaults": defaults}
    return render(request, "pipeline/connector_list.html", ctx, status=422 if form.errors else 200)

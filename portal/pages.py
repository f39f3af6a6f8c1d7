"""Helpers shared by pages: the base of every form, list pages (filter + paginate + full page or
HTMX fragment), dialogs and CSV export."""

from django import forms
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render

from portal.core.errors import DomainError
from portal.core.exports import csv_writer
from portal.pagination import paginate


class PageForm(forms.Form):
    """The base of every page form. A value the input guard refused (NUL or an unpaired surrogate,
    `portal.middleware.GuardedQueryDict`) becomes its field's error, and the form validates and
    re-renders from the values that can be shown, so the page answers with the form, not a 400."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._refused_input = getattr(self.data, "refused", None) or {}
        if self._refused_input:
            self.data = self.data.safe()

    def full_clean(self):
        super().full_clean()
        for name in self.fields if self.is_bound else ():
            message = self._refused_input.get(self.add_prefix(name))
            if message:
                self._errors[name] = self.error_class([message])  # instead of "required" or a choice error
                self.cleaned_data.pop(name, None)


def list_page(request, queryset, filterset_class, page_template, partial_template, **extra):
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    ctx = {"filterset": filterset, "page": paginate(request, rows), **extra}
    if request.htmx and not request.htmx.boosted:
        return render(request, partial_template, ctx)
    return render(request, page_template, ctx)


def form_errors_from(form, exc):
    """Put a service's ValidationFailed/DomainError messages on the form's fields."""
    errors = getattr(exc, "errors", None) or {exc.field: [exc.message]}
    for field, messages in errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


class _Echo:
    def write(self, value):
        return value


def csv_response(filename, header, rows):
    """Stream rows as CSV: memory stays flat however many rows there are. Cells that would run
    as spreadsheet formulas are neutralised (portal.core.exports)."""
    writer = csv_writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def dialog_form(request, name, ctx, status=200):
    """A create/edit form: the bare form for HTMX (it goes into the page's dialog), else a full
    page. Templates: `<app>/partials/<name>.html` and `<app>/<name>_page.html`; `name` may be
    `app/name` (the app defaults to messaging)."""
    app, _, name = name.rpartition("/")
    app = app or "messaging"
    template = f"{app}/partials/{name}.html" if request.htmx else f"{app}/{name}_page.html"
    return render(request, template, ctx, status=status)


def dialog_done(request, url_name):
    """After a successful dialog submit HTMX reloads the list (which shows the flash message)."""
    response = redirect(url_name)
    if request.htmx:
        response["HX-Redirect"] = response["Location"]
        response.status_code = 204
    return response


def save_dialog(request, form, save, *, success, list_url, template, **ctx):
    """The create/edit dialog flow shared by the registry pages: on a valid POST call `save`
    (a service), report its errors on the form or flash `success(obj)` and reload the list."""
    from django.contrib import messages

    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form.cleaned_data)
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, success(obj))
            return dialog_done(request, list_url)
    return dialog_form(request, template, {"form": form, **ctx}, 422 if form.errors else 200)

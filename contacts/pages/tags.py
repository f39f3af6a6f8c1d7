"""Tags page: every tag with how many contacts carry it; create, rename, delete."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from contacts.filters import TagFilterSet
from contacts.models import Tag
from contacts.pages.forms import TagForm
from contacts.services import tags as tag_services
from portal.core.tenancy import get_for_account_or_404
from portal.pages import list_page, save_dialog


@account_required()
def tag_list(request):
    qs = Tag.objects.for_account(request.account).annotate(contact_count=Count("contact_links")).order_by("name")
    return list_page(request, qs, TagFilterSet, "contacts/tag_list.html", "contacts/partials/tag_table.html")


@account_required("send")
def tag_create(request):
    form = TagForm(request.POST or None)
    return save_dialog(
        request,
        form,
        lambda data: tag_services.create_tag(account=request.account, data=data, actor=request.user, request=request),
        success=lambda t: f"Tag {t.name} created.",
        list_url="contacts:tag_list",
        template="contacts/tag_form",
    )


@account_required("send")
def tag_edit(request, pk):
    tag = get_for_account_or_404(Tag, request.account, pk=pk)
    form = TagForm(request.POST or None, initial={"name": tag.name})
    return save_dialog(
        request,
        form,
        lambda data: tag_services.update_tag(tag=tag, data=data, actor=request.user, request=request),
        success=lambda t: f"Tag renamed to {t.name}.",
        list_url="contacts:tag_list",
        template="contacts/tag_form",
        tag=tag,
        usage=tag_services.tag_usage(account=request.account, tag_id=tag.pk),
    )


@account_required("send")
@require_POST
def tag_delete(request, pk):
    tag = get_for_account_or_404(Tag, request.account, pk=pk)
    tag_services.delete_tag(tag=tag, actor=request.user, request=request)
    messages.success(request, f"Tag {tag.name} deleted.")
    return redirect("contacts:tag_list")

"""Contact pages: the searchable list, create/edit dialogs, and the contact's page with its
identifiers, tags, subscriptions, static segments and message history."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from contacts.models import Contact, IdentifierType, Segment, SegmentType, Subscription, SubscriptionChannel, Tag
from contacts.pages.filters import STATES, ContactPageFilterSet
from contacts.pages.forms import ContactForm, IdentifierForm, SubscriptionForm, format_attributes
from contacts.services import contacts as contact_services
from contacts.services import identifiers as identifier_services
from contacts.services import segments as segment_services
from contacts.services import subscriptions as subscription_services
from contacts.services import tags as tag_services
from contacts.services.subscriptions import NATIVE_CHANNEL
from messaging.history import messages_to
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404
from portal.pages import form_errors_from, list_page, save_dialog
from portal.pagination import paginate

HISTORY_SIZE = 20


def _contacts(request):
    return contact_services.with_relations(Contact.objects.for_account(request.account))


def _contact(request, pk):
    return get_for_account_or_404(_contacts(request), request.account, pk=pk)


@account_required()
def contact_list(request):
    return list_page(
        request,
        _contacts(request),
        ContactPageFilterSet,
        "contacts/contact_list.html",
        "contacts/partials/contact_table.html",
        tags=Tag.objects.for_account(request.account).order_by("name"),
        kinds=IdentifierType.choices,
        states=STATES,
    )


@account_required("send")
def contact_create(request):
    form = ContactForm(request.POST or None)
    return save_dialog(
        request,
        form,
        lambda _: contact_services.create_contact(
            account=request.account, data=form.to_data(), actor=request.user, request=request
        ),
        success=lambda c: f"Contact {c.identity} created.",
        list_url="contacts:contact_list",
        template="contacts/contact_form",
    )


@account_required("send")
def contact_edit(request, pk):
    contact = _contact(request, pk)
    data = contact_services.contact_data(contact)
    initial = {
        **{k: v for k, v in data.items() if k not in ("tags", "attributes")},
        "tags": ", ".join(data["tags"]),
        "attributes": format_attributes(contact.attributes),
    }
    form = ContactForm(request.POST or None, initial=initial, contact=contact)
    response = save_dialog(
        request,
        form,
        lambda _: contact_services.update_contact(
            contact=contact, data=form.to_data(), actor=request.user, request=request
        ),
        success=lambda c: f"Contact {c.identity} saved.",
        list_url="contacts:contact_list",
        template="contacts/contact_form",
        contact=contact,
    )
    if response.status_code == 204 and request.GET.get("next") == "detail":
        response["HX-Redirect"] = reverse("contacts:contact_detail", args=[contact.pk])
    return response


@account_required("send")
@require_POST
def contact_delete(request, pk):
    contact = _contact(request, pk)
    contact_services.delete_contact(contact=contact, actor=request.user, request=request)
    messages.success(request, f"Contact {contact.identity} deleted.")
    return redirect("contacts:contact_list")


def _subscription_rows(contact):
    """Every (identifier, channel) the contact can be reached on, with its state: existing
    subscription rows, plus the natural channel of identifiers without one (subscribed by default)."""
    subs = list(Subscription.objects.filter(contact=contact).select_related("identifier").order_by("channel", "id"))
    covered = {(s.identifier_id, s.channel) for s in subs}
    rows = [{"identifier": s.identifier, "channel": s.channel, "sub": s, "subscribed": s.is_subscribed} for s in subs]
    for identifier in contact.identifiers.all():
        channel = NATIVE_CHANNEL.get(identifier.type)
        if channel and (identifier.pk, channel) not in covered:
            rows.append({"identifier": identifier, "channel": channel, "sub": None, "subscribed": True})
    labels = dict(SubscriptionChannel.choices)
    for row in rows:
        row["channel_label"] = labels.get(row["channel"], row["channel"])
    return rows


def _history(request, contact):
    numbers = [i.value for i in contact.identifiers.all() if i.type == IdentifierType.PHONE]
    return messages_to(request.account, numbers)


def _detail_context(request, contact, **extra):
    static = Segment.objects.for_account(request.account).filter(type=SegmentType.STATIC)
    return {
        "contact": contact,
        "location": ", ".join(
            p for p in (contact.locality, contact.city, contact.region, contact.postal_code, contact.country) if p
        ),
        "subscriptions": _subscription_rows(contact),
        "static_segments": static.filter(member_links__contact=contact).order_by("name"),
        "other_static_segments": static.exclude(member_links__contact=contact).order_by("name"),
        "history": paginate(request, _history(request, contact), per_page=HISTORY_SIZE),
        "identifier_form": extra.pop("identifier_form", None) or IdentifierForm(),
        "subscription_form": extra.pop("subscription_form", None) or SubscriptionForm(contact=contact),
        **extra,
    }


@account_required()
def contact_detail(request, pk):
    contact = _contact(request, pk)
    if request.htmx and request.GET.get("part") == "history":
        return render(request, "contacts/partials/contact_history.html", _detail_context(request, contact))
    return render(request, "contacts/contact_detail.html", _detail_context(request, contact))


def _section(request, contact, template, status=200, **extra):
    """After a change on the contact page: the changed section for HTMX, else the whole page."""
    contact = _contact(request, contact.pk)
    ctx = _detail_context(request, contact, **extra)
    if request.htmx:
        return render(request, f"contacts/partials/{template}.html", ctx, status=status)
    return render(request, "contacts/contact_detail.html", ctx, status=status)


@account_required("send")
@require_POST
def identifier_add(request, pk):
    contact = _contact(request, pk)
    form = IdentifierForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            identifier_services.add_identifier(
                contact=contact, data=form.cleaned_data, actor=request.user, request=request
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            form, status = None, 200
    return _section(request, contact, "contact_identifiers", status=status, identifier_form=form)


@account_required("send")
@require_POST
def identifier_delete(request, pk, iid):
    contact = _contact(request, pk)
    identifier = get_for_account_or_404(contact.identifiers.all(), request.account, pk=iid)
    identifier_services.delete_identifier(identifier=identifier, actor=request.user, request=request)
    return _section(request, contact, "contact_identifiers")


@account_required("send")
@require_POST
def contact_tag_add(request, pk):
    contact = _contact(request, pk)
    names = [n.strip() for n in request.POST.get("names", "").split(",") if n.strip()]
    if names:
        tag_services.add_contact_tags(contact=contact, names=names)
    return _section(request, contact, "contact_tags")


@account_required("send")
@require_POST
def contact_tag_remove(request, pk, tag_id):
    contact = _contact(request, pk)
    tag = get_for_account_or_404(Tag, request.account, pk=tag_id)
    tag_services.remove_contact_tags(contact=contact, names=[tag.name])
    return _section(request, contact, "contact_tags")


def _subscription(request, contact):
    sid = request.POST.get("subscription")
    if not sid:
        return None
    return get_for_account_or_404(Subscription.objects.filter(contact=contact), request.account, pk=sid)


@account_required("send")
@require_POST
def contact_unsubscribe(request, pk):
    """One subscription (an identifier on a channel, created on the fly when it had no row yet)
    or, without one, every channel the contact can be reached on."""
    contact = _contact(request, pk)
    try:
        subscription = _subscription(request, contact)
        if subscription is None and request.POST.get("identifier"):
            subscription = subscription_services.create_subscriptions(
                contact=contact,
                items=[{"channel": request.POST.get("channel"), "identifier_id": request.POST.get("identifier")}],
                actor=request.user,
                request=request,
            )[0]
        subscription_services.unsubscribe(
            contact=contact, subscription=subscription, actor=request.user, request=request
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return _section(request, contact, "contact_subscriptions")


@account_required("send")
@require_POST
def contact_resubscribe(request, pk):
    contact = _contact(request, pk)
    try:
        subscription_services.resubscribe(
            contact=contact, subscription=_subscription(request, contact), actor=request.user, request=request
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return _section(request, contact, "contact_subscriptions")


@account_required("send")
@require_POST
def subscription_add(request, pk):
    contact = _contact(request, pk)
    form = SubscriptionForm(request.POST, contact=contact)
    status = 422
    if form.is_valid():
        try:
            subscription_services.create_subscriptions(
                contact=contact,
                items=[{"channel": form.cleaned_data["channel"], "identifier_id": form.cleaned_data["identifier_id"]}],
                actor=request.user,
                request=request,
            )
        except DomainError as exc:
            form_errors_from(form, exc)
        else:
            form, status = None, 200
    return _section(request, contact, "contact_subscriptions", status=status, subscription_form=form)


@account_required("send")
@require_POST
def contact_segment_add(request, pk):
    contact = _contact(request, pk)
    segment = get_for_account_or_404(
        Segment.objects.filter(type=SegmentType.STATIC), request.account, pk=request.POST.get("segment")
    )
    segment_services.add_segment_members(segment=segment, contact_ids=[contact.pk])
    return _section(request, contact, "contact_segments")


@account_required("send")
@require_POST
def contact_segment_remove(request, pk, segment_id):
    contact = _contact(request, pk)
    segment = get_for_account_or_404(Segment.objects.filter(type=SegmentType.STATIC), request.account, pk=segment_id)
    segment_services.remove_segment_members(segment=segment, contact_ids=[contact.pk])
    return _section(request, contact, "contact_segments")

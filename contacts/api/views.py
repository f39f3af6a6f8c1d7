"""v2 contacts endpoints: contacts, merge, identifiers, tags, segments and contact subscriptions."""

from django.db.models import Count
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from contacts.api import schema as S
from contacts.filters import ContactFilterSet, IdentifierFilterSet, SegmentFilterSet, TagFilterSet
from contacts.models import Contact, Identifier, Segment, Subscription, SubscriptionChannel, SubscriptionStatus, Tag
from contacts.services import contacts as contact_services
from contacts.services import identifiers as identifier_services
from contacts.services import merge as merge_services
from contacts.services import segments as segment_services
from contacts.services import subscriptions as subscription_services
from contacts.services import tags as tag_services
from portal.api.filters import apply_filterset
from portal.api.pagination import V2Pagination
from portal.api.schema import EMPTY_LIST, PAGE_PARAMETERS, envelope, list_parameters
from portal.api.scopes import Scope, reads_and
from portal.api.views import V2APIView
from portal.core.errors import ValidationFailed

# Contacts and everything hanging off them: read with `read`, changed with `write`.
CONTACT_SCOPES = reads_and(Scope.WRITE)

# Body keys that may arrive as repeated form fields (`tags[]=a&tags[]=b`).
LIST_KEYS = ("tags", "positive_tags", "negative_tags", "members", "subscriptions")
PAGED = {"paginated": True}


def body(request):
    """The request body as a plain dict (JSON as sent; form data with list keys kept as lists)."""
    data = request.data
    if not isinstance(data, QueryDict):
        return data if isinstance(data, dict) else {}
    out = {}
    for key in data:
        name = key[:-2] if key.endswith("[]") else key
        out[name] = data.getlist(key) if name in LIST_KEYS else data.get(key)
    return out


def _contact_row(contact, request=None):
    return contact_services.contact_data(contact)


def _identifier_row(identifier, request=None):
    return identifier_services.identifier_data(identifier)


def _tag_row(tag, request=None):
    return tag_services.tag_data(tag)


def _subscription_row(sub, request=None):
    return subscription_services.subscription_data(sub)


class ContactView(V2APIView):
    required_scopes = CONTACT_SCOPES

    def contact(self, pk):
        return self.get_for_account(contact_services.with_relations(Contact.objects.all()), pk=pk)


# --- contacts ---------------------------------------------------------------------------------------


class ContactList(ContactView):
    @extend_schema(
        operation_id="contacts_get_all_contacts",
        parameters=list_parameters(ContactFilterSet),
        summary="Get all contacts",
        description="Lists the account's contacts with their primary phone and e-mail, attributes and tag names. "
        "Filters: `filter[q]` (identity, names, company or any identifier), `filter[identity]`, "
        "`filter[phone]` (prefix), `filter[email]`, `filter[tag]`, `filter[segment]`, `filter[unsubscribed]` "
        "(`any` or a channel), location, creation dates and `filter[ordering]`.",
        responses={200: envelope("Contacts", S.many(S.CONTACT), **PAGED)},
    )
    def get(self, request):
        qs = contact_services.with_relations(Contact.objects.for_account(self.account))
        return self.paginated(apply_filterset(ContactFilterSet, request, qs), _contact_row)

    @extend_schema(
        operation_id="contacts_create_contact",
        summary="Create contact",
        description="Creates a contact: `identity` (unique in the account, no spaces) and `phone` (with its "
        "country code, stored as E.164 digits) are required; `email`, names, gender, birth date, company, "
        "location and free `attributes` are optional. `tags` names tags, unknown names are created. Phone and "
        "e-mail become the contact's primary identifiers. Fires `contacts:subscriber:subscription`. An "
        "identity, phone or e-mail another contact has, or an invalid field: 422.",
        request=S.CONTACT_CREATE,
        responses={200: envelope("ContactCreated", S.CONTACT)},
    )
    def post(self, request):
        contact = contact_services.create_contact(account=self.account, data=body(request), request=request._request)
        return self.ok(contact_services.contact_data(contact), contact_services.CREATED)


class ContactDetail(ContactView):
    @extend_schema(
        operation_id="contacts_view_contact_by_id",
        summary="View contact by id",
        description="One contact of the account by its `id` (an integer). Another account's id, a non-integer "
        "id, or no such contact: 404.",
        responses={200: envelope("ContactData", S.CONTACT)},
    )
    def get(self, request, pk):
        return self.ok(contact_services.contact_data(self.contact(pk)))

    @extend_schema(
        operation_id="contacts_edit_contact",
        summary="Edit contact",
        description="Changes a contact: only the fields sent change. `phone` may not be emptied, `email: null` "
        "removes the e-mail, `attributes` is merged key by key (a `null` value removes the key) and `tags` "
        "replaces the tag set. Fires `contacts:subscriber:subscription`. A duplicate identity, phone or "
        "e-mail, or an invalid field: 422.",
        request=S.CONTACT_EDIT,
        responses={200: envelope("ContactUpdated", S.CONTACT)},
    )
    def put(self, request, pk):
        contact = contact_services.update_contact(
            contact=self.contact(pk), data=body(request), request=request._request
        )
        return self.ok(contact_services.contact_data(contact), contact_services.UPDATED)

    @extend_schema(
        operation_id="contacts_delete_contact",
        summary="Delete contact",
        description="Deletes a contact with its identifiers, tag links and subscriptions. Opt-outs it already "
        "recorded stay on the channels' unsubscriber lists. Unknown id: 404.",
        responses={200: envelope("ContactDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        contact_services.delete_contact(contact=self.contact(pk), request=request._request)
        return self.ok([], contact_services.DELETED)


class ContactMerge(V2APIView):
    required_scopes = CONTACT_SCOPES

    @extend_schema(
        operation_id="contacts_merge_contacts",
        summary="Merge contacts",
        description="Merges `origin` into `destination` (both contact ids of the account) in one transaction: "
        "origin's identifiers and subscriptions move over, tags and static segments are united, empty fields "
        "of destination take origin's values, attributes merge (destination wins), and origin is deleted. "
        "Answers the merged destination. A missing, unknown or another account's id, or the same id twice: "
        "422 on that field.",
        request=S.MERGE,
        responses={200: envelope("ContactsMerged", S.CONTACT)},
    )
    def post(self, request):
        data = body(request)
        contact = merge_services.merge_contacts(
            account=self.account,
            origin=data.get("origin"),
            destination=data.get("destination"),
            request=request._request,
        )
        return self.ok(contact_services.contact_data(contact), "Contacts merged successfully")


# --- identifiers ------------------------------------------------------------------------------------


class IdentifierList(V2APIView):
    required_scopes = CONTACT_SCOPES

    @extend_schema(
        operation_id="contacts_get_all_identifiers",
        parameters=list_parameters(IdentifierFilterSet),
        summary="Get all identifiers",
        description="Lists every identifier of the account's contacts, newest first: phone, email, whatsapp, "
        "rcs, viber or custom values, each with its `contact_id`. `filter[type]`, `filter[value]` (part of "
        "the value) and `filter[contact]` narrow the list.",
        responses={200: envelope("ContactIdentifiersAll", S.many(S.IDENTIFIER), **PAGED)},
    )
    def get(self, request):
        qs = Identifier.objects.for_account(self.account).order_by("-id")
        return self.paginated(apply_filterset(IdentifierFilterSet, request, qs), _identifier_row)


class ContactIdentifierList(ContactView):
    @extend_schema(
        operation_id="contacts_get_all_identifiers_of_a_contact",
        parameters=PAGE_PARAMETERS,
        summary="Get all identifiers of a contact",
        description="Lists the identifiers of one contact (phone, e-mail, WhatsApp, RCS, Viber and custom "
        "values). Another account's contact, or no such contact: 404.",
        responses={200: envelope("ContactIdentifiers", S.many(S.IDENTIFIER), **PAGED)},
    )
    def get(self, request, pk):
        contact = self.get_for_account(Contact.objects.all(), pk=pk)
        return self.paginated(Identifier.objects.filter(contact=contact).order_by("id"), _identifier_row)

    @extend_schema(
        operation_id="contacts_add_an_identifier_to_a_contact",
        summary="Add an identifier to a contact",
        description="Adds an identifier to a contact: `type` (phone, also written mobile, msisdn or sms; "
        "email, whatsapp, rcs, viber, custom) and `value` (phones normalised to E.164 digits, e-mails "
        "lower-cased). A value another contact of the account has, an unknown type or a bad value: 422; "
        "unknown contact: 404.",
        request=S.IDENTIFIER_BODY,
        responses={200: envelope("IdentifierAdded", S.IDENTIFIER)},
    )
    def post(self, request, pk):
        contact = self.get_for_account(Contact.objects.all(), pk=pk)
        identifier = identifier_services.add_identifier(contact=contact, data=body(request), request=request._request)
        return self.ok(identifier_services.identifier_data(identifier))


class ContactIdentifierDetail(ContactView):
    def identifier(self, pk, iid):
        return self.get_for_account(Identifier.objects.all(), pk=iid, contact_id=pk)

    @extend_schema(
        operation_id="contacts_get_an_identifier_of_a_contact",
        summary="Get an identifier of a contact",
        description="One identifier of a contact. An identifier of another contact, or another account's: 404.",
        responses={200: envelope("IdentifierData", S.IDENTIFIER)},
    )
    def get(self, request, pk, iid):
        return self.ok(identifier_services.identifier_data(self.identifier(pk, iid)))

    @extend_schema(
        operation_id="contacts_edit_identifier",
        summary="Edit identifier",
        description="Changes an identifier's type or value. Changing the value of an unsubscribed identifier "
        "opts the new number out too. A value another contact has, or a bad value: 422; an identifier of "
        "another contact: 404.",
        request=S.IDENTIFIER_BODY,
        responses={200: envelope("IdentifierUpdated", S.IDENTIFIER)},
    )
    def put(self, request, pk, iid):
        identifier = identifier_services.update_identifier(
            identifier=self.identifier(pk, iid), data=body(request), request=request._request
        )
        return self.ok(identifier_services.identifier_data(identifier), identifier_services.UPDATED)

    @extend_schema(
        operation_id="contacts_delete_an_identifier_from_a_contact",
        summary="Delete an identifier from a contact",
        description="Removes an identifier (and its subscriptions) from a contact; opt-outs it recorded stay "
        "on the unsubscriber lists. An identifier of another contact: 404.",
        responses={200: envelope("IdentifierDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk, iid):
        identifier_services.delete_identifier(identifier=self.identifier(pk, iid), request=request._request)
        return self.ok([], identifier_services.DELETED)


# --- tags ---------------------------------------------------------------------------------------------


class TagList(V2APIView):
    required_scopes = CONTACT_SCOPES

    @extend_schema(
        operation_id="contacts_get_all_tags",
        parameters=list_parameters(TagFilterSet),
        summary="Get all tags",
        description="Lists the account's contact tags by name, each with `contacts_count` (how many contacts "
        "carry it). `filter[name]` narrows the list.",
        responses={200: envelope("ContactTags", S.many(S.TAG), **PAGED)},
    )
    def get(self, request):
        qs = (
            Tag.objects.for_account(self.account).annotate(contacts_count=Count("contact_links")).order_by("name", "id")
        )
        return self.paginated(apply_filterset(TagFilterSet, request, qs), _tag_row)

    @extend_schema(
        operation_id="contacts_create_tag",
        summary="Create tag",
        description="Creates a tag (`name`, unique in the account, at most 100 characters). A name the account "
        "has, or none: 422.",
        request=S.TAG_BODY,
        responses={200: envelope("ContactTagCreated", S.TAG)},
    )
    def post(self, request):
        tag = tag_services.create_tag(account=self.account, data=body(request), request=request._request)
        return self.ok(tag_services.tag_data(tag), tag_services.CREATED)


class TagDetail(V2APIView):
    required_scopes = CONTACT_SCOPES

    def tag(self, pk):
        return self.get_for_account(Tag.objects.annotate(contacts_count=Count("contact_links")), pk=pk)

    @extend_schema(
        operation_id="contacts_get_tag_by_id",
        summary="Get tag by id",
        description="One tag of the account by its `id` (an integer), with `contacts_count`. Another account's "
        "id, or no such tag: 404.",
        responses={200: envelope("ContactTagData", S.TAG)},
    )
    def get(self, request, pk):
        return self.ok(tag_services.tag_data(self.tag(pk)))

    @extend_schema(
        operation_id="contacts_edit_tag",
        summary="Edit tag",
        description="Renames a tag; segments hold tag ids, so they keep working under the new name. A name the "
        "account has: 422.",
        request=S.TAG_BODY,
        responses={200: envelope("ContactTagUpdated", S.TAG)},
    )
    def put(self, request, pk):
        tag = tag_services.update_tag(tag=self.tag(pk), data=body(request), request=request._request)
        return self.ok(tag_services.tag_data(tag), tag_services.UPDATED)

    @extend_schema(
        operation_id="contacts_delete_tag",
        summary="Delete tag",
        description="Deletes a tag: it leaves every contact and every segment's tag lists and rules. Unknown id: 404.",
        responses={200: envelope("ContactTagDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        tag_services.delete_tag(tag=self.tag(pk), request=request._request)
        return self.ok([], tag_services.DELETED)


# --- segments -------------------------------------------------------------------------------------------


def legacy_page(paginator, rows):
    """The legacy paginator object the segment list carries in `data` (Laravel's `paginate()` array)."""
    links, meta = paginator.links_and_meta()
    return {
        "current_page": meta["current_page"],
        "data": rows,
        "first_page_url": links["first"],
        "from": meta["from"],
        "last_page": meta["last_page"],
        "last_page_url": links["last"],
        "links": meta["links"],
        "next_page_url": links["next"],
        "path": meta["path"],
        "per_page": meta["per_page"],
        "prev_page_url": links["prev"],
        "to": meta["to"],
        "total": meta["total"],
    }


class SegmentList(V2APIView):
    required_scopes = CONTACT_SCOPES

    @extend_schema(
        operation_id="contacts_get_all_segments",
        parameters=list_parameters(SegmentFilterSet),
        summary="Get all segments",
        description="Lists the account's segments (the recipient groups of sends, `recipient.group_id`) with "
        "their tag lists, rules and last member count. The answer keeps the catalogued shape: integer "
        "`status`, no `code`, and the page object (`current_page`, `data`, `last_page`, ...) under `data`.",
        responses={200: S.SEGMENT_LIST},
    )
    def get(self, request):
        qs = apply_filterset(SegmentFilterSet, request, Segment.objects.for_account(self.account))
        paginator = V2Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        names = segment_services.tag_names_for(page)
        rows = [segment_services.segment_data(s, names) for s in page]
        # Catalogued: integer status, no `code`, the page object under `data`.
        return Response({"data": legacy_page(paginator, rows), "message": "OK", "status": 200})

    @extend_schema(
        operation_id="contacts_create_segment",
        summary="Create segment",
        description="Creates a segment: `name`, and for a dynamic segment (default) the contacts with the "
        "`positive_tags` (`any` or `all` of them), without the `negative_tags`, matching `rules` (a condition "
        "tree over attributes, tags, identifiers, subscriptions and fields); a static segment lists its "
        "`members` (contact ids). No tags and no rules: every contact. An unknown tag name, a bad rule "
        "(named by its path, e.g. `rules.conditions.1.value`) or a missing name: 422.",
        request=S.SEGMENT_BODY,
        responses={200: envelope("SegmentCreated", S.SEGMENT)},
    )
    def post(self, request):
        segment = segment_services.create_segment(account=self.account, data=body(request), request=request._request)
        return self.ok(segment_services.segment_data(segment), segment_services.CREATED)


class SegmentView(V2APIView):
    required_scopes = CONTACT_SCOPES

    def segment(self, pk):
        return self.get_for_account(Segment.objects.all(), pk=pk)


class SegmentDetail(SegmentView):
    @extend_schema(
        operation_id="contacts_get_segment_by_id",
        summary="Get segment by id",
        description="One segment of the account by its `id`, recounted now (`subscribers_count`, `counted_at`). "
        "Another account's id, or no such segment: 404.",
        responses={200: envelope("SegmentData", S.SEGMENT)},
    )
    def get(self, request, pk):
        segment = self.segment(pk)
        segment_services.count_segment(segment)
        return self.ok(segment_services.segment_data(segment))

    @extend_schema(
        operation_id="contacts_edit_segment_details",
        summary="Edit segment details",
        description="Changes a segment: `name`, and for a dynamic one the four tag fields, must be sent (tag "
        "lists may be empty); `rules` and `members` are optional. Sends after the change reach its new "
        "members. An unknown tag name or a bad rule: 422.",
        request=S.SEGMENT_BODY,
        responses={200: envelope("SegmentUpdated", S.SEGMENT)},
    )
    def put(self, request, pk):
        segment = segment_services.update_segment(
            segment=self.segment(pk), data=body(request), request=request._request
        )
        return self.ok(segment_services.segment_data(segment), segment_services.UPDATED)

    @extend_schema(
        operation_id="contacts_delete_segment",
        summary="Delete segment",
        description="Deletes a segment; its contacts stay, and sends naming it in `recipient.group_id` are "
        "refused from then on (422). Unknown id: 404.",
        responses={200: envelope("SegmentDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        segment_services.delete_segment(segment=self.segment(pk), request=request._request)
        return self.ok([], segment_services.DELETED)


def _percent(part, total):
    if not total:
        return "0"
    value = round(part * 100 / total, 2)
    return f"{value:.2f}".rstrip("0").rstrip(".")


class SegmentSubscribers(SegmentView):
    @extend_schema(
        operation_id="contacts_get_subscribers_of_a_segment",
        parameters=PAGE_PARAMETERS,
        summary="Get subscribers of a segment",
        description="The contacts a segment matches now, paginated; the message gives their share of the "
        "account's contacts (`Subscription is 40 % of the total of 5 subscribers`). Unknown segment: 404.",
        responses={200: envelope("SegmentSubscribers", S.many(S.CONTACT), **PAGED)},
    )
    def get(self, request, pk):
        segment = self.segment(pk)
        members = segment_services.count_segment(segment)
        total = Contact.objects.for_account(self.account).count()
        qs = contact_services.with_relations(segment_services.segment_contacts(segment))
        message = f"Subscription is {_percent(members, total)} % of the total of {total} subscribers"
        return self.paginated(qs, _contact_row, message)


# --- contact subscriptions ------------------------------------------------------------------------------


def _subscriptions(qs):
    return qs.select_related("identifier").order_by("id")


SUBSCRIPTION_FILTERS = [
    OpenApiParameter("filter[channel]", OpenApiTypes.STR, enum=SubscriptionChannel.values),
    OpenApiParameter("filter[status]", OpenApiTypes.STR, enum=SubscriptionStatus.values),
]


class SubscriptionList(V2APIView):
    required_scopes = CONTACT_SCOPES

    @extend_schema(
        operation_id="contacts_get_all_subscriptions",
        parameters=[*SUBSCRIPTION_FILTERS, *PAGE_PARAMETERS],
        summary="Get all subscriptions",
        description="Lists the consents of every contact of the account: one identifier on one channel (sms, "
        "whatsapp, rcs, viber, voice, email), `subscribed` or `unsubscribed`. `filter[channel]` and "
        "`filter[status]` take those words (another value: 422).",
        responses={200: envelope("ContactSubscriptionsAll", S.many(S.SUBSCRIPTION), **PAGED)},
    )
    def get(self, request):
        qs = _subscriptions(Subscription.objects.for_account(self.account))
        for name, choices in (("channel", SubscriptionChannel.values), ("status", SubscriptionStatus.values)):
            value = (request.query_params.get(f"filter[{name}]") or "").strip().lower()
            if value and value not in choices:
                raise ValidationFailed({f"filter[{name}]": [f"The selected filter[{name}] is invalid."]})
            if value:
                qs = qs.filter(**{name: value})
        return self.paginated(qs, _subscription_row)


class ContactSubscriptionList(V2APIView):
    required_scopes = CONTACT_SCOPES

    @extend_schema(
        operation_id="contacts_get_all_subscriptions_of_a_contact",
        parameters=PAGE_PARAMETERS,
        summary="Get all subscriptions of a contact",
        description="Lists one contact's subscriptions, a channel and identifier each. Unknown contact: 404.",
        responses={200: envelope("ContactSubscriptions", S.many(S.SUBSCRIPTION), **PAGED)},
    )
    def get(self, request, pk):
        contact = self.get_for_account(Contact.objects.all(), pk=pk)
        return self.paginated(_subscriptions(Subscription.objects.filter(contact=contact)), _subscription_row)

    @extend_schema(
        operation_id="contacts_create_subscriptions_for_a_contact",
        summary="Create subscriptions for a contact",
        description="Adds subscriptions to a contact (`subscriptions`, at most 100 items): each a `channel`, "
        "an `identifier_id` of the contact suited to it (a phone for sms and voice, an e-mail for email) and "
        "an optional `channel_id` (a business number, a sender; default the channel). An item that exists "
        "is answered unchanged. Item errors name `subscriptions.N.<field>` (422).",
        request=S.SUBSCRIPTIONS_BODY,
        responses={200: envelope("ContactSubscriptionsCreated", S.many(S.SUBSCRIPTION))},
    )
    def post(self, request, pk):
        contact = self.get_for_account(Contact.objects.all(), pk=pk)
        subs = subscription_services.create_subscriptions(
            contact=contact, items=body(request).get("subscriptions"), request=request._request
        )
        return self.ok([subscription_services.subscription_data(s) for s in subs], subscription_services.CREATED)


class ContactSubscriptionDetail(V2APIView):
    required_scopes = CONTACT_SCOPES

    def subscription(self, pk, sid):
        return self.get_for_account(Subscription.objects.select_related("identifier", "contact"), pk=sid, contact_id=pk)

    @extend_schema(
        operation_id="contacts_get_a_subscription_of_a_contact",
        summary="Get a subscription of a contact",
        description="One subscription of a contact. A subscription of another contact, or another account's: 404.",
        responses={200: envelope("ContactSubscriptionData", S.SUBSCRIPTION)},
    )
    def get(self, request, pk, sid):
        return self.ok(subscription_services.subscription_data(self.subscription(pk, sid)))

    @extend_schema(
        operation_id="contacts_edit_a_subscription_of_a_contact",
        summary="Edit a subscription of a contact",
        description="Changes a subscription's channel, identifier or `channel_id`. Moving an "
        "unsubscribed subscription to another identifier opts the new number out too. Invalid fields: 422.",
        request=S.SUBSCRIPTION_BODY,
        responses={200: envelope("ContactSubscriptionUpdated", S.SUBSCRIPTION)},
    )
    def put(self, request, pk, sid):
        sub = subscription_services.update_subscription(
            subscription=self.subscription(pk, sid), data=body(request), request=request._request
        )
        return self.ok(subscription_services.subscription_data(sub), subscription_services.SUB_UPDATED)

    @extend_schema(
        operation_id="contacts_delete_a_subscription_of_a_contact",
        summary="Delete a subscription of a contact",
        description="Removes a subscription; an opt-out it recorded stays on the channel's unsubscriber "
        "list. A subscription of another contact: 404.",
        responses={200: envelope("ContactSubscriptionDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk, sid):
        subscription_services.delete_subscription(subscription=self.subscription(pk, sid), request=request._request)
        return self.ok([], subscription_services.DELETED)


class _OptView(V2APIView):
    """Unsubscribe / resubscribe a contact: all its subscriptions, or one (`sid`)."""

    required_scopes = CONTACT_SCOPES

    change_subscription = None
    message = ""

    def change(self, request, pk, sid=None):
        contact = self.get_for_account(Contact.objects.all(), pk=pk)
        subscription = None
        if sid is not None:
            subscription = self.get_for_account(
                Subscription.objects.select_related("identifier"), pk=sid, contact_id=contact.pk
            )
        changed = type(self).change_subscription(contact=contact, subscription=subscription, request=request._request)
        if subscription is not None:
            return self.ok(subscription_services.subscription_data(changed[0]), self.message)
        rows = _subscriptions(Subscription.objects.filter(contact=contact))
        return self.ok([subscription_services.subscription_data(s) for s in rows], self.message)


class Unsubscribe(_OptView):
    change_subscription = staticmethod(subscription_services.unsubscribe)
    message = subscription_services.UNSUBSCRIBED

    @extend_schema(
        operation_id="contacts_unsubscribe_from_all",
        request=None,
        summary="Unsubscribe contact from all subscriptions",
        description="Unsubscribes the contact everywhere: every subscription becomes `unsubscribed`, and each "
        "identifier without one on its own channel gets an unsubscribed row. Its numbers are opted out of "
        "those channels (sends to them answer `OPTOUT-REJ`) and the channels' `unsubscription` events fire. "
        "Answers every subscription of the contact.",
        responses={200: envelope("ContactUnsubscribed", S.many(S.SUBSCRIPTION))},
    )
    def post(self, request, pk):
        return self.change(request, pk)


class UnsubscribeOne(_OptView):
    change_subscription = staticmethod(subscription_services.unsubscribe)
    message = subscription_services.UNSUBSCRIBED

    @extend_schema(
        operation_id="contacts_unsubscribe_from_one",
        request=None,
        summary="Unsubscribe contact from a subscription",
        description="Unsubscribes one subscription of the contact (`unsubscribed_at` set); its number is "
        "opted out of that channel. Answers the subscription.",
        responses={200: envelope("ContactUnsubscribedOne", S.SUBSCRIPTION)},
    )
    def post(self, request, pk, sid):
        return self.change(request, pk, sid)


class Resubscribe(_OptView):
    change_subscription = staticmethod(subscription_services.resubscribe)
    message = subscription_services.RESUBSCRIBED

    @extend_schema(
        operation_id="contacts_resubscribe_to_all",
        request=None,
        summary="Resubscribe contact to all subscriptions",
        description="Sets every subscription of the contact back to `subscribed` and lifts its numbers' "
        "channel-wide opt-outs; scoped opt-outs (a tag, a service, a sender) stay. Answers every "
        "subscription of the contact.",
        responses={200: envelope("ContactResubscribed", S.many(S.SUBSCRIPTION))},
    )
    def post(self, request, pk):
        return self.change(request, pk)


class ResubscribeOne(_OptView):
    change_subscription = staticmethod(subscription_services.resubscribe)
    message = subscription_services.RESUBSCRIBED

    @extend_schema(
        operation_id="contacts_resubscribe_to_one",
        request=None,
        summary="Resubscribe contact to a subscription",
        description="Sets one subscription back to `subscribed` and lifts that number's channel-wide opt-out "
        "(scoped opt-outs stay). Answers the subscription.",
        responses={200: envelope("ContactResubscribedOne", S.SUBSCRIPTION)},
    )
    def post(self, request, pk, sid):
        return self.change(request, pk, sid)

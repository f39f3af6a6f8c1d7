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
        responses={200: envelope("Contacts", S.many(S.CONTACT), **PAGED)},
    )
    def get(self, request):
        qs = contact_services.with_relations(Contact.objects.for_account(self.account))
        return self.paginated(apply_filterset(ContactFilterSet, request, qs), _contact_row)

    @extend_schema(
        operation_id="contacts_create_contact",
        summary="Create contact",
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
        responses={200: envelope("ContactData", S.CONTACT)},
    )
    def get(self, request, pk):
        return self.ok(contact_services.contact_data(self.contact(pk)))

    @extend_schema(
        operation_id="contacts_edit_contact",
        summary="Edit contact",
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
        responses={200: envelope("ContactIdentifiers", S.many(S.IDENTIFIER), **PAGED)},
    )
    def get(self, request, pk):
        contact = self.get_for_account(Contact.objects.all(), pk=pk)
        return self.paginated(Identifier.objects.filter(contact=contact).order_by("id"), _identifier_row)

    @extend_schema(
        operation_id="contacts_add_an_identifier_to_a_contact",
        summary="Add an identifier to a contact",
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
        responses={200: envelope("IdentifierData", S.IDENTIFIER)},
    )
    def get(self, request, pk, iid):
        return self.ok(identifier_services.identifier_data(self.identifier(pk, iid)))

    @extend_schema(
        operation_id="contacts_edit_identifier",
        summary="Edit identifier",
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
        responses={200: envelope("ContactTagData", S.TAG)},
    )
    def get(self, request, pk):
        return self.ok(tag_services.tag_data(self.tag(pk)))

    @extend_schema(
        operation_id="contacts_edit_tag",
        summary="Edit tag",
        request=S.TAG_BODY,
        responses={200: envelope("ContactTagUpdated", S.TAG)},
    )
    def put(self, request, pk):
        tag = tag_services.update_tag(tag=self.tag(pk), data=body(request), request=request._request)
        return self.ok(tag_services.tag_data(tag), tag_services.UPDATED)

    @extend_schema(
        operation_id="contacts_delete_tag",
        summary="Delete tag",
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
        responses={200: envelope("SegmentData", S.SEGMENT)},
    )
    def get(self, request, pk):
        segment = self.segment(pk)
        segment_services.count_segment(segment)
        return self.ok(segment_services.segment_data(segment))

    @extend_schema(
        operation_id="contacts_edit_segment_details",
        summary="Edit segment details",
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
        responses={200: envelope("ContactSubscriptions", S.many(S.SUBSCRIPTION), **PAGED)},
    )
    def get(self, request, pk):
        contact = self.get_for_account(Contact.objects.all(), pk=pk)
        return self.paginated(_subscriptions(Subscription.objects.filter(contact=contact)), _subscription_row)

    @extend_schema(
        operation_id="contacts_create_subscriptions_for_a_contact",
        summary="Create subscriptions for a contact",
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
        responses={200: envelope("ContactSubscriptionData", S.SUBSCRIPTION)},
    )
    def get(self, request, pk, sid):
        return self.ok(subscription_services.subscription_data(self.subscription(pk, sid)))

    @extend_schema(
        operation_id="contacts_edit_a_subscription_of_a_contact",
        summary="Edit a subscription of a contact",
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
        responses={200: envelope("ContactResubscribedOne", S.SUBSCRIPTION)},
    )
    def post(self, request, pk, sid):
        return self.change(request, pk, sid)

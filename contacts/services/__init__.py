"""Contacts services: the only code that changes contacts, identifiers, tags, segments and subscriptions.

Pages, the v2 API and the import jobs call these. Every function is keyword-only, owns its transaction and
raises `portal.core.errors.ValidationFailed` (field -> messages; the API turns it into a 422) or
`NotFound`. `actor`/`request` are optional and only feed the audit trail.

contacts.services.contacts
    normalize_identifier(type, value) -> str            canonical value (phone-like types: E.164 digits, no "+";
                                                         email: lower-cased); raises ValidationFailed
    create_contact(*, account, data, actor=None, request=None) -> Contact
        data = the v2 create body: identity (required), phone (required), email, first_name, middle_name,
        last_name, gender, birth_date, company, country, region, city, locality, postal_code,
        attributes (dict), tags (list of names; created when new)
    update_contact(*, contact, data, actor=None, request=None) -> Contact      (only the keys present change;
        "tags" replaces the tag set, "attributes" is merged key by key, a null value removes the key)
    delete_contact(*, contact, actor=None, request=None) -> None
    contact_data(contact) -> dict                        the contact object of the API and of the event
                                                         (prefetch "identifiers" and "tags" for lists)
    with_relations(queryset) -> QuerySet                 the prefetches contact_data needs

contacts.services.identifiers
    add_identifier(*, contact, data, actor=None, request=None) -> Identifier          data: type, value
    update_identifier(*, identifier, data, actor=None, request=None) -> Identifier
    delete_identifier(*, identifier, actor=None, request=None) -> None
    identifier_data(identifier) -> dict

contacts.services.tags
    create_tag(*, account, data, actor=None, request=None) -> Tag                     data: name
    update_tag(*, tag, data, actor=None, request=None) -> Tag
    delete_tag(*, tag, actor=None, request=None) -> None
    tags_by_name(*, account, names, create=False) -> list[Tag]
    set_contact_tags(*, contact, names) -> None          replace the contact's tags
    add_contact_tags(*, contact, names) -> None / remove_contact_tags(*, contact, names) -> None
    tag_data(tag) -> dict
    tag_usage(*, account, tag_id) -> int                 segments naming the tag (delete warning)

contacts.services.segments
    create_segment(*, account, data, actor=None, request=None) -> Segment
        data: name (required), type ("dynamic" default | "static"), positive_tags / negative_tags (tag names),
        positive_tags_operator / negative_tags_operator ("any" | "all"), rules (rule tree, see docs/contacts.md),
        members (contact ids, static segments)
    update_segment(*, segment, data, actor=None, request=None, full=True) -> Segment
        full=True is the v2 PUT rule (name + the four tag fields required for dynamic segments)
    delete_segment(*, segment, actor=None, request=None) -> None
    add_segment_members(*, segment, contact_ids) -> int / remove_segment_members(*, segment, contact_ids) -> int
    segment_contacts(segment) -> QuerySet[Contact]       members, evaluated in SQL (no Python loop)
    preview_contacts(*, account, data) -> QuerySet[Contact]   same, for an unsaved body
    preview_count(*, account, data) -> int               the rule builder's live count of an unsaved body
    count_segment(segment) -> int                        counts and stores member_count/counted_at
    resolve_segments(*, account, segment_ids) -> list[Segment]   422 on an unknown or other-account id
    segment_recipients(account, segment_ids, channel="sms") -> Iterator[str]
        distinct mobile numbers (E.164 digits) of the segments' members, minus identifiers unsubscribed on
        `channel`; streamed with .iterator() so 100k members never sit in memory as model instances
    segment_data(segment, names_by_id=None) -> dict   tag_names_for(segments) gives names_by_id for a page
    segment_q(segment) -> Q / rules_q(rules, account_id) -> Q / normalize_rules(account, rules) -> dict
    drop_tag_from_segments(*, account, tag_id) -> None  (called by delete_tag)

contacts.services.subscriptions
    create_subscriptions(*, contact, items, actor=None, request=None) -> list[Subscription]
        items: [{"channel", "channel_id", "identifier_id"}]
    update_subscription(*, subscription, data, ...) -> Subscription
    delete_subscription(*, subscription, ...) -> None
    unsubscribe(*, contact, subscription=None, ...) -> list[Subscription]   all channels when subscription is None
    resubscribe(*, contact, subscription=None, ...) -> list[Subscription]
        both keep the channel opt-outs (messaging.consent) in step, so the send path scrubs an
        unsubscribed number (OPTOUT-REJ), and emit `contacts:subscriber:subscription`
    subscription_data(subscription) -> dict
    mirror_optouts(subscriptions) -> None                opt unsubscribed numbers out of their channels

contacts.services.merge
    merge_contacts(*, account, origin, destination, actor=None, request=None) -> Contact
        moves every identifier, tag, subscription and static-segment membership of `origin` to `destination`,
        fills destination's empty fields and missing attribute keys from origin (destination wins conflicts),
        deletes origin; one transaction, both rows locked in id order
"""

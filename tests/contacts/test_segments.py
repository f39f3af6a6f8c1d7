"""Segments: the v2 endpoints (18-23) and the rule language evaluated in SQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact, Segment, SegmentType
from contacts.services import contacts as contact_services
from contacts.services import segments as services
from contacts.services import subscriptions as subscription_services

URL = "/api/v2/contacts/segments"


def make_contact(account, identity, phone, **extra):
    return contact_services.create_contact(account=account, data={"identity": identity, "phone": phone, **extra})


@pytest.fixture
def people(account):
    """Five contacts with a spread of tags, attributes, identifiers and dates."""
    return {
        "ann": make_contact(
            account,
            "ann",
            "919876543210",
            email="ann@example.com",
            city="Pune",
            gender="female",
            birth_date="1990-01-02",
            tags=["vip", "newsletter"],
            attributes={"membership": "platinum", "spend": "1200", "age": 34},
        ),
        "bob": make_contact(
            account,
            "bob",
            "919876543211",
            city="Mumbai",
            gender="male",
            tags=["vip"],
            attributes={"membership": "gold", "spend": 300, "age": "51"},
        ),
        "cid": make_contact(
            account, "cid", "919876543212", city="pune", tags=["newsletter"], attributes={"membership": "silver"}
        ),
        "dee": make_contact(account, "dee", "919876543213", company="Acme Ltd", attributes={"spend": "n/a"}),
        "eve": make_contact(account, "eve", "447400123456", email="eve@example.org", tags=["blocked"]),
    }


def names(qs):
    return sorted(qs.values_list("identity", flat=True))


def evaluate(account, **data):
    return names(services.preview_contacts(account=account, data=data))


# --- the rule language --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ["ann", "bob", "cid", "dee", "eve"]),
        ({"positive_tags": ["vip", "newsletter"], "positive_tags_operator": "any"}, ["ann", "bob", "cid"]),
        ({"positive_tags": ["vip", "newsletter"], "positive_tags_operator": "all"}, ["ann"]),
        ({"negative_tags": ["vip", "blocked"], "negative_tags_operator": "any"}, ["cid", "dee"]),
        ({"negative_tags": ["vip", "newsletter"], "negative_tags_operator": "all"}, ["bob", "cid", "dee", "eve"]),
        (
            {"positive_tags": ["vip"], "negative_tags": ["newsletter"]},
            ["bob"],
        ),
    ],
)
def test_tag_lists(account, people, data, expected):
    assert evaluate(account, **data) == expected


def cond(field, op, value=None):
    out = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("attributes.membership", "eq", "platinum"), ["ann"]),
        (cond("attributes.membership", "neq", "platinum"), ["bob", "cid", "dee", "eve"]),
        (cond("attributes.membership", "in", ["gold", "silver"]), ["bob", "cid"]),
        # Numbers compare numerically whether stored as text (imports) or as JSON numbers.
        (cond("attributes.spend", "gt", 500), ["ann"]),
        (cond("attributes.spend", "lte", "300"), ["bob"]),
        (cond("attributes.age", "gte", 40), ["bob"]),
        (cond("attributes.age", "eq", 34), ["ann"]),
        (cond("attributes.age", "eq", "51"), ["bob"]),
        (cond("attributes.membership", "contains", "OLD"), ["bob"]),
        (cond("attributes.membership", "starts_with", "s"), ["cid"]),
        (cond("attributes.spend", "exists"), ["ann", "bob", "dee"]),
        (cond("attributes.spend", "not_exists"), ["cid", "eve"]),
        (cond("attributes.membership", "empty"), ["dee", "eve"]),
        (cond("attributes.membership", "not_empty"), ["ann", "bob", "cid"]),
        (cond("tags", "any", ["vip", "blocked"]), ["ann", "bob", "eve"]),
        (cond("tags", "all", ["vip", "newsletter"]), ["ann"]),
        (cond("tags", "none", ["vip", "newsletter"]), ["dee", "eve"]),
        (cond("identifier.email", "exists"), ["ann", "eve"]),
        (cond("identifier.email", "not_exists"), ["bob", "cid", "dee"]),
        (cond("identifier.email", "contains", "example.org"), ["eve"]),
        (cond("identifier.mobile", "starts_with", "+44"), ["eve"]),
        (cond("identifier.phone", "eq", "+91 98765 43211"), ["bob"]),
        (cond("city", "eq", "PUNE"), ["ann", "cid"]),
        (cond("city", "neq", "pune"), ["bob", "dee", "eve"]),
        (cond("company", "contains", "acme"), ["dee"]),
        (cond("company", "empty"), ["ann", "bob", "cid", "eve"]),
        (cond("gender", "in", ["male", "female"]), ["ann", "bob"]),
        (cond("birth_date", "before", "1995-01-01"), ["ann"]),
        (cond("created_at", "within_days", 1), ["ann", "bob", "cid", "dee", "eve"]),
        (cond("created_at", "after", "2999-01-01"), []),
    ],
)
def test_conditions(account, people, condition, expected):
    assert evaluate(account, rules={"conditions": [condition]}) == expected


def test_subscription_state(account, people):
    subscription_services.unsubscribe(contact=people["bob"])
    unsub = {"conditions": [cond("subscription.sms", "unsubscribed")]}
    sub = {"conditions": [cond("subscription.sms", "subscribed")]}
    assert evaluate(account, rules=unsub) == ["bob"]
    assert evaluate(account, rules=sub) == ["ann", "cid", "dee", "eve"]
    subscription_services.resubscribe(contact=people["bob"])
    assert evaluate(account, rules=unsub) == []


def test_groups_nest_and_combine_with_tags(account, people):
    rules = {
        "match": "any",
        "conditions": [
            cond("city", "eq", "mumbai"),
            {"match": "all", "conditions": [cond("tags", "any", ["newsletter"]), cond("identifier.email", "exists")]},
        ],
    }
    assert evaluate(account, rules=rules) == ["ann", "bob"]
    assert evaluate(account, rules=rules, negative_tags=["vip"]) == []
    assert evaluate(account, rules=rules, positive_tags=["newsletter"]) == ["ann"]


def test_a_dynamic_segment_is_one_sql_query(account, people, django_assert_num_queries):
    segment = services.create_segment(
        account=account,
        data={
            "name": "Complex",
            "positive_tags": ["vip", "newsletter"],
            "negative_tags": ["blocked"],
            "rules": {
                "match": "all",
                "conditions": [
                    cond("attributes.spend", "gt", 100),
                    cond("identifier.email", "exists"),
                    cond("subscription.sms", "subscribed"),
                    {"match": "any", "conditions": [cond("city", "eq", "pune"), cond("tags", "all", ["vip"])]},
                ],
            },
        },
    )
    with django_assert_num_queries(1):
        count = services.segment_contacts(segment).count()
    with django_assert_num_queries(1):
        members = names(services.segment_contacts(segment))
    assert count == 1 and members == ["ann"]
    with CaptureQueriesContext(connection) as ctx:
        services.count_segment(segment)
    # The count is computed by the database: one COUNT with the tag/identifier/subscription tests as
    # sub-queries and the `any` group as one set of ids (tag links UNION matching contacts).
    counts = [q["sql"].upper() for q in ctx.captured_queries if q["sql"].upper().startswith("SELECT COUNT(*)")]
    assert len(counts) == 1 and counts[0].count("EXISTS") >= 4 and "UNION" in counts[0]


def test_members_never_cross_accounts(account, other_account, people):
    make_contact(other_account, "stranger", "919876543299", tags=["vip"])
    segment = services.create_segment(account=account, data={"name": "All"})
    assert "stranger" not in names(services.segment_contacts(segment))
    assert services.count_segment(segment) == 5


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"conditions": [{"op": "eq", "value": "x"}]}, "rules.conditions.0.field"),
        ({"conditions": [cond("password", "eq", "x")]}, "rules.conditions.0.field"),
        ({"conditions": [cond("city", "gt", "x")]}, "rules.conditions.0.op"),
        ({"conditions": [cond("attributes.spend", "gt", "lots")]}, "rules.conditions.0.value"),
        ({"conditions": [cond("tags", "any", ["nope"])]}, "rules.conditions.0.value"),
        ({"conditions": [cond("birth_date", "before", "yesterday")]}, "rules.conditions.0.value"),
        ({"conditions": [cond("subscription.fax", "subscribed")]}, "rules.conditions.0.field"),
        ({"match": "most", "conditions": []}, "rules.match"),
        ({"conditions": "x"}, "rules.conditions"),
    ],
)
def test_bad_rules_are_422(api_client, account, people, rules, field):
    res = api_client.post(URL, {"name": "Bad", "rules": rules}, format="json")
    assert res.status_code == 422 and field in res.json()["errors"], res.json()


def test_rules_nest_at_most_three_levels(account):
    deep = {"conditions": [{"conditions": [{"conditions": [{"conditions": []}]}]}]}
    with pytest.raises(Exception) as exc:
        services.normalize_rules(account, deep)
    assert "nest" in str(exc.value.errors)


# --- static segments ----------------------------------------------------------------------------------


def test_static_segments_hold_explicit_members(api_client, account, people):
    ids = [people["ann"].pk, people["eve"].pk]
    res = api_client.post(URL, {"name": "Picked", "type": "static", "members": ids}, format="json")
    assert res.status_code == 200
    data = res.json()["data"]
    assert data["type"] == "static" and data["subscribers_count"] == 2
    segment = Segment.objects.get(pk=data["id"])
    services.add_segment_members(segment=segment, contact_ids=[people["bob"].pk, people["bob"].pk])
    services.remove_segment_members(segment=segment, contact_ids=[people["ann"].pk])
    assert names(services.segment_contacts(segment)) == ["bob", "eve"]


def test_static_members_must_be_my_contacts(api_client, account, other_account):
    theirs = make_contact(other_account, "x", "919876543299")
    res = api_client.post(URL, {"name": "Bad", "type": "static", "members": [theirs.pk]}, format="json")
    assert res.status_code == 422 and "members" in res.json()["errors"]


# --- endpoints -----------------------------------------------------------------------------------------


def test_list_uses_the_catalogued_legacy_envelope(api_client, account, other_account, django_assert_max_num_queries):
    for i in range(3):
        services.create_segment(account=account, data={"name": f"S{i}", "positive_tags": []})
    services.create_segment(account=other_account, data={"name": "Theirs"})
    with django_assert_max_num_queries(6):
        res = api_client.get(URL)
    body = res.json()
    assert res.status_code == 200 and set(body) == {"data", "message", "status"}
    assert body["status"] == 200 and body["message"] == "OK"
    page = body["data"]
    assert page["current_page"] == 1 and page["total"] == 3 and page["per_page"] == 15
    assert page["first_page_url"].endswith("/api/v2/contacts/segments?page=1") and page["next_page_url"] is None
    assert {"from", "to", "last_page", "last_page_url", "links", "path", "prev_page_url"} <= set(page)
    assert [s["name"] for s in page["data"]] == ["S2", "S1", "S0"]


def test_create_show_edit_delete(api_client, account, people):
    res = api_client.post(URL, {"name": "segment1"}, format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Segment created successfully" and body["code"] == 200
    data = body["data"]
    assert data == {
        **data,
        "name": "segment1",
        "type": "dynamic",
        "positive_tags": [],
        "positive_tags_operator": "any",
        "negative_tags": [],
        "negative_tags_operator": "any",
        "subscribers_count": 5,
    }
    url = f"{URL}/{data['id']}"
    assert api_client.get(url).json()["data"]["name"] == "segment1"
    edit = {
        "name": "segment1",
        "positive_tags": ["vip"],
        "positive_tags_operator": "any",
        "negative_tags": ["newsletter"],
        "negative_tags_operator": "any",
    }
    res = api_client.put(url, edit, format="json")
    assert res.status_code == 200 and res.json()["message"] == "Segment updated successfully"
    assert res.json()["data"]["positive_tags"] == ["vip"] and res.json()["data"]["subscribers_count"] == 1
    res = api_client.delete(url)
    assert res.json() == {"status": "OK", "code": 200, "message": "Segment deleted successfully", "data": []}
    assert not Segment.objects.filter(pk=data["id"]).exists()
    assert Contact.objects.filter(account=account).count() == 5


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {
                "positive_tags": [],
                "positive_tags_operator": "any",
                "negative_tags": [],
                "negative_tags_operator": "any",
            },
            "name",
        ),
        ({"name": "x"}, "positive_tags"),
        (
            {
                "name": "x",
                "positive_tags": ["nope"],
                "positive_tags_operator": "any",
                "negative_tags": [],
                "negative_tags_operator": "any",
            },
            "positive_tags",
        ),
        (
            {
                "name": "x",
                "positive_tags": [],
                "positive_tags_operator": "some",
                "negative_tags": [],
                "negative_tags_operator": "any",
            },
            "positive_tags_operator",
        ),
    ],
)
def test_edit_validates_the_catalogued_required_fields(api_client, account, payload, field):
    segment = services.create_segment(account=account, data={"name": "S"})
    res = api_client.put(f"{URL}/{segment.pk}", payload, format="json")
    assert res.status_code == 422 and field in res.json()["errors"]


def test_create_needs_a_name(api_client):
    res = api_client.post(URL, {}, format="json")
    assert res.status_code == 422 and res.json()["message"] == "The name field is required."


def test_subscribers_lists_members_with_the_share_message(api_client, account, people):
    segment = services.create_segment(account=account, data={"name": "VIP", "positive_tags": ["vip"]})
    res = api_client.get(f"{URL}/{segment.pk}/subscribers")
    assert res.status_code == 200
    body = res.json()
    assert body["message"] == "Subscription is 40 % of the total of 5 subscribers"
    assert sorted(c["identity"] for c in body["data"]) == ["ann", "bob"]
    assert body["meta"]["total"] == 2 and "links" in body
    everyone = services.create_segment(account=account, data={"name": "All"})
    assert (
        api_client.get(f"{URL}/{everyone.pk}/subscribers").json()["message"]
        == "Subscription is 100 % of the total of 5 subscribers"
    )
    third = services.create_segment(
        account=account, data={"name": "Third", "type": SegmentType.STATIC, "members": [people["ann"].pk]}
    )
    Contact.objects.filter(identity__in=["dee", "eve"]).delete()
    assert api_client.get(f"{URL}/{third.pk}/subscribers").json()["message"] == (
        "Subscription is 33.33 % of the total of 3 subscribers"
    )


def test_another_accounts_segment_is_404(api_client, other_account):
    theirs = services.create_segment(account=other_account, data={"name": "Theirs"})
    for method in ("get", "put", "delete"):
        assert getattr(api_client, method)(f"{URL}/{theirs.pk}", {"name": "x"}, format="json").status_code == 404
    assert api_client.get(f"{URL}/{theirs.pk}/subscribers").status_code == 404
    assert Segment.objects.get(pk=theirs.pk).name == "Theirs"


def test_the_live_count_of_an_unnamed_draft(account, people):
    draft = {"name": "", "positive_tags": ["vip"], "rules": {"conditions": [cond("city", "eq", "pune")]}}
    assert services.preview_contacts(account=account, data=draft).count() == 1
    assert services.preview_count(account=account, data=draft) == 1
    assert services.preview_count(account=account, data={"name": "", "positive_tags": ["vip"]}) == 2
    with pytest.raises(Exception) as exc:
        services.preview_count(account=account, data={"positive_tags": ["missing"]})
    assert "positive_tags" in exc.value.errors
    assert not Segment.objects.filter(account=account).exists()  # nothing stored


def test_stale_counts_are_refreshed_by_the_beat_task(account, other_account, people):
    from datetime import timedelta

    from django.utils import timezone

    from contacts.tasks import refresh_segment_counts

    dynamic = services.create_segment(account=account, data={"name": "VIP", "positive_tags": ["vip"]})
    static = services.create_segment(account=account, data={"name": "S", "type": "static"})
    theirs = services.create_segment(account=other_account, data={"name": "Theirs"})
    make_contact(account, "fay", "919876543219", tags=["vip"])
    old = timezone.now() - timedelta(hours=1)
    Segment.objects.update(counted_at=old)
    assert refresh_segment_counts() == 3  # every account's segments (a system job)
    for segment in (dynamic, static, theirs):
        segment.refresh_from_db()
        assert segment.counted_at > old
    assert dynamic.member_count == 3 and static.member_count == 0
    assert refresh_segment_counts() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"positive_tags": ["vip"]},
        {"positive_tags": ["vip", "newsletter"], "positive_tags_operator": "any"},
        {"positive_tags": ["vip", "newsletter"], "positive_tags_operator": "all"},
        {"positive_tags": ["vip", "newsletter"], "negative_tags": ["newsletter"]},
        {"positive_tags": ["vip", "newsletter", "blocked"], "negative_tags": ["vip", "newsletter"]},
        {
            "positive_tags": ["vip", "newsletter", "blocked"],
            "negative_tags": ["vip", "newsletter"],
            "negative_tags_operator": "all",
        },
        {"positive_tags": ["vip", "blocked"], "positive_tags_operator": "all"},
        {"positive_tags": ["vip", "newsletter", "blocked"], "positive_tags_operator": "all"},
        {"positive_tags": ["newsletter", "vip"], "positive_tags_operator": "all", "negative_tags": ["blocked"]},
        {"positive_tags": ["newsletter", "vip"], "positive_tags_operator": "all", "negative_tags": ["vip"]},
    ],
)
def test_the_tag_only_count_agrees_with_the_member_query(
    account, other_account, people, data, django_assert_num_queries
):
    make_contact(other_account, "stranger", "919876543299", tags=["vip"])
    segment = services.create_segment(account=account, data={"name": "T", **data})
    expected = services.segment_contacts(segment).count()
    assert services._tag_only_count(segment) == expected
    # savepoint, SET LOCAL jit (PostgreSQL only), the count, release, the stored figure
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 4):
        assert services.count_segment(segment) == expected


# --- the count query ---------------------------------------------------------------------------------

EMPTY = {"match": "all", "conditions": []}
EMAIL_OR_VIP = {"match": "any", "conditions": [cond("identifier.email", "exists"), cond("tags", "any", ["vip"])]}


@pytest.mark.parametrize(
    "data",
    [
        # The benchmark's shape: an `any` group of two membership tests ANDed with tags, an attribute, opt-outs.
        {
            "positive_tags": ["newsletter", "vip"],
            "negative_tags": ["blocked"],
            "rules": {
                "conditions": [
                    cond("attributes.membership", "in", ["gold", "platinum"]),
                    cond("subscription.sms", "subscribed"),
                    EMAIL_OR_VIP,
                ]
            },
        },
        {"rules": EMAIL_OR_VIP},
        # Membership tests mixed with contact columns, attributes and a negation in one group.
        {
            "rules": {
                "match": "any",
                "conditions": [
                    cond("subscription.sms", "unsubscribed"),
                    cond("city", "eq", "mumbai"),
                    cond("attributes.spend", "gt", 1000),
                    cond("identifier.email", "not_exists"),
                ],
            }
        },
        {
            "rules": {
                "match": "any",
                "conditions": [cond("identifier.email", "not_exists"), cond("tags", "none", ["vip"])],
            }
        },
        {
            "rules": {
                "match": "any",
                "conditions": [
                    cond("identifier.phone", "starts_with", "+44"),
                    cond("tags", "all", ["vip", "newsletter"]),
                ],
            }
        },
        {
            "rules": {
                "match": "any",
                "conditions": [
                    cond("identifier.email", "eq", "ann@example.com"),
                    cond("identifier.phone", "contains", "43212"),
                ],
            }
        },
        # Nesting: any inside all inside all, any inside any, all inside any.
        {
            "rules": {
                "conditions": [
                    {"match": "all", "conditions": [EMAIL_OR_VIP, cond("city", "neq", "pune")]},
                    {
                        "match": "any",
                        "conditions": [cond("tags", "all", ["vip"]), cond("subscription.sms", "unsubscribed")],
                    },
                ]
            }
        },
        {
            "rules": {
                "match": "any",
                "conditions": [
                    EMAIL_OR_VIP,
                    {"match": "all", "conditions": [cond("tags", "any", ["newsletter"]), cond("city", "eq", "pune")]},
                    cond("tags", "any", ["blocked"]),
                ],
            }
        },
        # Negative tags and an `any` group that rules out everyone left.
        {"negative_tags": ["vip", "newsletter"], "negative_tags_operator": "all", "rules": EMAIL_OR_VIP},
        {
            "positive_tags": ["blocked"],
            "rules": {
                "match": "any",
                "conditions": [cond("tags", "any", ["vip"]), cond("identifier.whatsapp", "exists")],
            },
        },
        # Empty groups vanish from a group and match everyone on their own.
        {
            "rules": {
                "match": "any",
                "conditions": [EMPTY, cond("tags", "any", ["vip"]), cond("identifier.email", "exists")],
            }
        },
        {"rules": {"match": "any", "conditions": [EMPTY, cond("tags", "any", ["vip"])]}},
        {"rules": {"match": "any", "conditions": [EMPTY, {"match": "any", "conditions": []}]}},
        {"rules": {"match": "all", "conditions": [EMPTY, EMAIL_OR_VIP]}},
    ],
)
def test_the_count_query_agrees_with_the_member_query(account, other_account, people, data):
    # Another account's contact matching every test must never be counted.
    make_contact(other_account, "stranger", "447400999999", email="s@example.com", city="Mumbai", tags=["vip"])
    subscription_services.unsubscribe(contact=people["bob"])
    segment = services.create_segment(account=account, data={"name": "C", **data})
    expected = names(services.segment_contacts(segment))
    assert names(services.counted_contacts(segment)) == expected
    assert services.count_segment(segment) == len(expected)
    # The rule builder's live count of the same body, unsaved.
    assert services.preview_count(account=account, data={"name": "", **data}) == len(expected)


def test_an_anded_any_group_of_membership_tests_is_counted_from_one_set_of_ids(account, people):
    segment = services.create_segment(account=account, data={"name": "C", "rules": {"conditions": [EMAIL_OR_VIP]}})
    with CaptureQueriesContext(connection) as ctx:
        assert services.count_segment(segment) == 3  # ann, bob, eve
    count = next(q["sql"].upper() for q in ctx.captured_queries if q["sql"].upper().startswith("SELECT COUNT(*)"))
    assert " IN (" in count and "UNION" in count and "EXISTS" not in count
    # Under OR the same group stays EXISTS tests (an IN there would not become a join).
    either = services.create_segment(
        account=account,
        data={"name": "E", "rules": {"match": "any", "conditions": [cond("city", "eq", "mumbai"), EMAIL_OR_VIP]}},
    )
    sql = str(services.counted_contacts(either).query).upper()
    assert "UNION" not in sql and sql.count("EXISTS") == 2
    assert names(services.counted_contacts(either)) == ["ann", "bob", "eve"]

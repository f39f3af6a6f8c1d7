"""The tour: every page of the portal, for the role that sees it, on demo data.

`demo_world()` loads the demo data (`seed_demo`) plus what the demo lacks (a webhook with a
delivery, an SMS batch, a contact import), and `pages(world)` names each page with its URL.
`tests/e2e/test_every_page.py` visits them at phone and laptop widths; a meta-test there fails
when a page (a GET route without arguments) is missing from the tour.
"""

from dataclasses import dataclass

from django.core.management import call_command

WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}

# GET routes that are not pages a person reads (downloads, fragments, actions answering POST).
NOT_PAGES = {
    "healthz",
    "favicon",
    "logout",
    "switch_account",
    "login_2fa",
    "password_reset_done",
    "password_reset_complete",
    "two_factor_disable",
    "recovery_codes_regenerate",
    "api_key_create",
    "team_invite",
    "read_all",
    "bulk",
    "sender_export",
    "template_export",
    "unsubscriber_export",
    "blocked_export",
    "unsubscriber_clean",
    "blocked_clean",
    "send_preview",
    "template_fields",
    "segment_rule_row",
    "segment_rule_remove",
    "segment_count",
    "delivery_replay",
    "child_transfer",
    "balance_alert",
    "view_as_stop",
    "customer_create",
    "rate_card_upload",
    "certificates_check",
    "media_upload",
    "load",
    "vmn_sms",
    # Brand assets and fragments (stylesheets, the logo, live previews), the TLS ask endpoint
    "tls_ask",
    "stylesheet",
    "logo",
    "preview_css",
    "preview",
    "email_check",
    "brand_new_preview",
    # Fragments and POST-only actions of the WhatsApp, voice and reports pages
    "template_preview",
    "compose_preview",
    "compose_fields",
    "tts_preview",
    "composer_preview",
    "sound_upload",
    "conference_create",
    "running",
    "threshold",
    "export_create",
    # The Cloud API's webhook (Meta calls it, nobody reads it)
    "whatsapp-cloud-webhook",
}


# Pages that arrived after this tour was written and are not visited yet: none. Shrink this set,
# never grow it (a new page goes into `pages()`).
NOT_YET_TOURED = set()


@dataclass
class Page:
    name: str  # the route name (namespace-less), or a label for a detail page
    url: str
    role: str  # customer, reseller or staff: who is logged in


def demo_world(tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Account
    from contacts.imports.services import create_import
    from contacts.models import Contact, Segment
    from messaging.channels.sms.sending import Outgoing, submit
    from messaging.pipeline.models import SupplierConnector
    from messaging.senders.models import Sender, Template
    from messaging.webhooks import services as webhooks
    from voice.models import Call, CallGroup

    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    call_command("seed_demo", verbosity=0)
    demo = Account.objects.get(username="demo")
    owner = demo.memberships.get(role="owner").user
    # Loopback and a closed port: the delivery the test event queues fails without leaving the machine.
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    hook = webhooks.create_webhook(
        account=demo, data={"name": "Order system", "uri": "http://127.0.0.1:9/dlr", "secret": "s"}
    )
    test_event = webhooks.send_test_event(webhook=hook)
    sender = Sender.objects.get(account=demo, name="DEMORT")
    batch = submit(
        account=demo,
        product_code="T",
        outgoing=[
            Outgoing(
                to="919812300001",
                sender=sender.name,
                message="Your Demo Retail login code is 4821. It expires in 10 minutes. Do not share it.",
            )
        ],
        name="Login codes",
        actor=owner,
        source="portal",
    ).batch
    contact_import = create_import(
        account=demo,
        upload=SimpleUploadedFile("fair.csv", b"Mobile,First name\n+447400123456,Asha\n", content_type="text/csv"),
        actor=owner,
    )
    connector = SupplierConnector.objects.create(name="sim-eu", channel="sms", kind="simulator", rate_per_second=50)
    # A finished bulk call: one answered, one busy, one number refused before calling.
    call_group = CallGroup.objects.create(
        account=demo, name="Renewal reminders", total=2, reserved="6", refused={"INVALID": ["12345"]}
    )
    for to, status, seconds, charges in (("919800000001", "ANSWER", 12, "0.3"), ("919800000486", "BUSY", 0, "0")):
        Call.objects.create(
            account=demo, group=call_group, bridge="918068280001", to=to, iso="IN", status=status, duration=seconds,
            billing=30 if seconds else 0, pulse=30, rate="0.3", reserved="3", charges=charges, settled=True,
            name=call_group.name,
        )  # fmt: skip
    return {
        "connector": connector,
        "pending_template": Template.objects.get(account=demo, name="Order shipped"),
        "demo": demo,
        "child": Account.objects.get(username="reseller-client-one"),
        "contact": Contact.objects.filter(account=demo).order_by("pk").first(),
        "segment": Segment.objects.filter(account=demo).order_by("pk").first(),
        "sender": sender,
        "webhook": hook,
        "delivery": test_event.delivery,
        "batch": batch,
        "contact_import": contact_import,
        "call_group": call_group,
    }


def pages(world):
    """Every page, as (route name or label, URL, role)."""
    demo, child = world["demo"], world["child"]
    customer = [
        ("dashboard", "/"),
        ("security", "/settings/security/"),
        ("two_factor_setup", "/settings/security/2fa/setup/"),
        ("api_key_list", "/developers/api-keys/"),
        ("team_list", "/team/"),
        ("audit_log", "/audit/"),
        ("ledger_list", "/billing/"),
        ("customer_price_list", "/prices/"),
        ("list", "/notifications/"),
        ("sender_list", "/sms/senders/"),
        ("sender_create", "/sms/senders/new/"),
        ("sender_edit", f"/sms/senders/{world['sender'].uuid}/edit/"),
        ("template_list", "/sms/templates/"),
        ("template_create", "/sms/templates/new/"),
        ("template_edit", f"/sms/templates/{world['pending_template'].uuid}/edit/"),
        ("send", "/sms/send/"),
        ("test_number", "/sms/test-number/"),
        ("batch_list", "/sms/batches/"),
        ("batch_detail", f"/sms/batches/{world['batch'].uuid}/"),
        ("unsubscriber_list", "/sms/suppressions/unsubscribers/"),
        ("unsubscriber_create", "/sms/suppressions/unsubscribers/new/"),
        ("blocked_list", "/sms/suppressions/blocked-templates/"),
        ("blocked_create", "/sms/suppressions/blocked-templates/new/"),
        ("import_list", "/contacts/imports/"),
        ("import_upload", "/contacts/imports/new/"),
        ("import_detail", f"/contacts/imports/{world['contact_import'].pk}/"),
        ("contact_list", "/contacts/"),
        ("contact_create", "/contacts/new/"),
        ("contact_detail", f"/contacts/{world['contact'].pk}/"),
        ("contact_edit", f"/contacts/{world['contact'].pk}/edit/"),
        ("tag_list", "/contacts/tags/"),
        ("tag_create", "/contacts/tags/new/"),
        ("segment_list", "/contacts/segments/"),
        ("segment_create", "/contacts/segments/new/"),
        ("segment_detail", f"/contacts/segments/{world['segment'].pk}/"),
        ("segment_edit", f"/contacts/segments/{world['segment'].pk}/edit/"),
        ("webhook_list", "/developer/webhooks/"),
        ("webhook_create", "/developer/webhooks/new/"),
        ("webhook_edit", f"/developer/webhooks/{world['webhook'].uuid}/"),
        ("subscription_list", "/developer/webhooks/subscriptions/"),
        ("subscription_create", "/developer/webhooks/subscriptions/new/"),
        ("delivery_list", "/developer/webhooks/deliveries/"),
        ("delivery_detail", f"/developer/webhooks/deliveries/{world['delivery'].uuid}/"),
        ("event_types", "/developer/webhooks/events/"),
        ("reports", "/reports/"),
        ("delivery", "/reports/messages/"),
        ("message", f"/reports/messages/{world['batch'].uuid}/1/"),
        ("campaign", f"/reports/campaigns/{world['batch'].uuid}/"),
        ("status_codes", "/reports/status-codes/"),
        ("credits", "/reports/credits/"),
        ("exports", "/reports/exports/"),
        ("schedules", "/reports/schedules/"),
        ("whatsapp_numbers", "/whatsapp/numbers/"),
        ("media", "/whatsapp/media/"),
        ("whatsapp_templates", "/whatsapp/templates/"),
        ("template_new", "/whatsapp/templates/new/"),
        ("compose", "/whatsapp/send/"),
        ("inbox", "/whatsapp/inbox/"),
        ("message_list", "/whatsapp/messages/"),
        ("composer", "/voice/"),
        ("flow_list", "/voice/flows/"),
        ("flow_create", "/voice/flows/new"),
        ("sound_list", "/voice/sounds/"),
        ("call_list", "/voice/calls/"),
        ("call_group_detail", f"/voice/calls/bulk/{world['call_group'].uuid}/"),
        ("live_calls", "/voice/calls/live"),
        ("conference_list", "/voice/conferences/"),
        ("voice_numbers", "/voice/numbers/"),
    ]
    reseller = [
        ("child_list", "/customers/"),
        ("child_markup", f"/prices/customers/{child.uuid}/"),
        ("settings", "/brand/settings/"),
        ("customer_preview", "/brand/settings/customer-view/"),
        ("readiness", "/brand/readiness/"),
        ("domain_list", "/brand/domains/"),
    ]
    staff = [
        ("staff_overview", "/staff/overview/"),
        ("partition_list", "/staff/messages/partitions/"),
        ("list", "/staff/operators/"),
        ("customer_list", "/staff/"),
        ("customer_detail", f"/staff/customers/{demo.uuid}/"),
        ("staff_audit_log", "/staff/audit/"),
        ("queue", "/staff/review/"),
        ("detail", f"/staff/review/template/{world['pending_template'].uuid}/"),
        ("price_list", "/staff/pricing/"),
        ("connector_list", "/staff/connectors/"),
        ("connector_edit", f"/staff/connectors/{world['connector'].pk}/"),
        ("staff_child_detail", f"/staff/customers/{child.uuid}/"),
        ("brand_list", "/staff/brands/"),
        ("brand_new", "/staff/brands/new/"),
        ("number_admin", "/staff/whatsapp/numbers/"),
        ("staff_reports", "/staff/reports/"),
    ]
    anonymous = [
        ("login", "/login/"),
        ("password_reset", "/password-reset/"),
    ]
    return [
        *(Page(n, u, "customer") for n, u in customer),
        *(Page(n, u, "reseller") for n, u in reseller),
        *(Page(n, u, "staff") for n, u in staff),
        *(Page(n, u, "anonymous") for n, u in anonymous),
    ]

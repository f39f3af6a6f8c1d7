"""Output shapes of senders and templates, as the catalog's examples show them."""

from django.urls import reverse

from portal.api.formats import flag, resource_time


def sender_data(sender, request=None):
    document = None
    if sender.document:
        # Documents are private: the link opens for the account's members and staff, not the public.
        path = reverse("senders:sender_document", args=[sender.uuid])
        document = request.build_absolute_uri(path) if request else path
    return {
        "id": str(sender.uuid),
        "name": sender.name,
        "service": sender.product.as_api(),
        "entity_name": sender.entity_name,
        "entity_id": sender.entity_id,
        "header_id": sender.header_id or None,
        "iso": sender.iso,
        "message": sender.review_message or None,
        "document": document,
        "is_open": flag(sender.is_open),
        "purpose": sender.purpose,
        "status": sender.status,
        "created_at": resource_time(sender.created_at),
        "updated_at": resource_time(sender.updated_at),
    }


def template_data(template, request=None):
    return {
        "id": str(template.uuid),
        "sender_id": str(template.sender.uuid),
        "template_id": template.template_id,
        "template_type": template.get_type_display(),
        "sender": template.sender.name,
        "name": template.name,
        "alias": template.alias,
        "body": template.body,
        "content": None,
        "body_length": len(template.body),
        "match_count": 0,
        "percentage": 0,
        "is_complete": 0,
        "is_english": flag(template.is_english),
        "status": template.status,
        "message": template.review_message or None,
        "created_at": resource_time(template.created_at),
        "updated_at": resource_time(template.updated_at),
    }

from django.urls import path

from contacts.pages import contacts, segments, tags

app_name = "contacts"

urlpatterns = [
    path("", contacts.contact_list, name="contact_list"),
    path("new/", contacts.contact_create, name="contact_create"),
    path("<int:pk>/", contacts.contact_detail, name="contact_detail"),
    path("<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    path("<int:pk>/identifiers/", contacts.identifier_add, name="identifier_add"),
    path("<int:pk>/identifiers/<int:iid>/delete/", contacts.identifier_delete, name="identifier_delete"),
    path("<int:pk>/tags/", contacts.contact_tag_add, name="contact_tag_add"),
    path("<int:pk>/tags/<int:tag_id>/remove/", contacts.contact_tag_remove, name="contact_tag_remove"),
    path("<int:pk>/unsubscribe/", contacts.contact_unsubscribe, name="contact_unsubscribe"),
    path("<int:pk>/resubscribe/", contacts.contact_resubscribe, name="contact_resubscribe"),
    path("<int:pk>/subscriptions/", contacts.subscription_add, name="subscription_add"),
    path("<int:pk>/segments/", contacts.contact_segment_add, name="contact_segment_add"),
    path("<int:pk>/segments/<int:segment_id>/remove/", contacts.contact_segment_remove, name="contact_segment_remove"),
    path("tags/", tags.tag_list, name="tag_list"),
    path("tags/new/", tags.tag_create, name="tag_create"),
    path("tags/<int:pk>/edit/", tags.tag_edit, name="tag_edit"),
    path("tags/<int:pk>/delete/", tags.tag_delete, name="tag_delete"),
    path("segments/", segments.segment_list, name="segment_list"),
    path("segments/new/", segments.segment_create, name="segment_create"),
    path("segments/rule-row/", segments.segment_rule_row, name="segment_rule_row"),
    path("segments/rule-remove/", segments.segment_rule_remove, name="segment_rule_remove"),
    path("segments/count/", segments.segment_count, name="segment_count"),
    path("segments/<int:pk>/", segments.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", segments.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", segments.segment_delete, name="segment_delete"),
    path(
        "segments/<int:pk>/members/<int:contact_id>/remove/",
        segments.segment_member_remove,
        name="segment_member_remove",
    ),
]

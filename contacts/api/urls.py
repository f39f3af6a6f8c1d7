from django.urls import path

from contacts.api import views

# Fixed paths first: `contacts/tags` must not be read as a contact id (ids are integers anyway).
urlpatterns = [
    path("contacts", views.ContactList.as_view(), name="contacts"),
    path("contacts/merge", views.ContactMerge.as_view(), name="contacts-merge"),
    path("contacts/identifiers", views.IdentifierList.as_view(), name="contacts-identifiers"),
    path("contacts/subscriptions", views.SubscriptionList.as_view(), name="contacts-subscriptions"),
    path("contacts/tags", views.TagList.as_view(), name="contacts-tags"),
    path("contacts/tags/<int:pk>", views.TagDetail.as_view(), name="contacts-tag"),
    path("contacts/segments", views.SegmentList.as_view(), name="contacts-segments"),
    path("contacts/segments/<int:pk>", views.SegmentDetail.as_view(), name="contacts-segment"),
    path("contacts/segments/<int:pk>/subscribers", views.SegmentSubscribers.as_view(), name="contacts-segment-members"),
    path("contacts/<int:pk>", views.ContactDetail.as_view(), name="contact"),
    path("contacts/<int:pk>/identifiers", views.ContactIdentifierList.as_view(), name="contact-identifiers"),
    path("contacts/<int:pk>/identifiers/<int:iid>", views.ContactIdentifierDetail.as_view(), name="contact-identifier"),
    path("contacts/<int:pk>/subscriptions", views.ContactSubscriptionList.as_view(), name="contact-subscriptions"),
    path(
        "contacts/<int:pk>/subscriptions/<int:sid>",
        views.ContactSubscriptionDetail.as_view(),
        name="contact-subscription",
    ),
    path("contacts/<int:pk>/unsubscribe", views.Unsubscribe.as_view(), name="contact-unsubscribe"),
    path("contacts/<int:pk>/unsubscribe/<int:sid>", views.UnsubscribeOne.as_view(), name="contact-unsubscribe-one"),
    path("contacts/<int:pk>/resubscribe", views.Resubscribe.as_view(), name="contact-resubscribe"),
    path("contacts/<int:pk>/resubscribe/<int:sid>", views.ResubscribeOne.as_view(), name="contact-resubscribe-one"),
]

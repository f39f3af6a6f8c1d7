from django.apps import AppConfig


class ContactImportsConfig(AppConfig):
    name = "contacts.imports"
    label = "contact_imports"
    verbose_name = "Contact imports"

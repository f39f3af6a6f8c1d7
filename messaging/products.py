"""Every product both brands sell, with the codes the v2 contract uses (`T`, `P`, `ENT`, ...)."""

# code, display name, channel, requires_dlt, is_promotional, is_standard, sort order
PRODUCTS = [
    ("T", "Transactional SMS", "sms", True, False, True, 10),
    ("P", "Promotional SMS", "sms", True, True, True, 11),
    ("S", "TransScrub SMS", "sms", True, False, True, 12),
    ("G", "Global SMS", "sms", False, False, True, 13),
    ("ENT", "SMS A2P Enterprise", "sms", False, False, False, 20),
    ("BNK", "SMS A2P Banking", "sms", False, False, False, 21),
    ("MKT", "SMS A2P Marketing", "sms", False, True, False, 22),
    ("GMS", "Global mobile number (SMS)", "sms", False, False, False, 23),
    ("A2P", "SMS A2P", "sms", False, False, False, 24),
    ("DIR", "SMS A2P Direct", "sms", False, False, False, 25),
    ("VOC", "Voice Flow", "voice", False, False, False, 40),
    ("SIPT", "Outbound voice", "voice", False, False, False, 41),
    ("ITFS", "International Freephone", "voice", False, False, False, 42),
    ("GMN", "Global mobile number (Voice)", "voice", False, False, False, 43),
    ("IBN", "Cloud Numbers", "numbers", False, False, False, 44),
    ("WAP", "Whatsapp Messaging", "whatsapp", False, False, False, 50),
    ("RCS", "RCS Messaging", "rcs", False, False, False, 51),
    ("VBR", "Viber Messaging", "viber", False, False, False, 52),
]


def load_products(product_model):
    """Create or refresh the product rows (used by the data migration and by tests that flush tables)."""
    for code, name, channel, dlt, promo, standard, order in PRODUCTS:
        product_model.objects.update_or_create(
            code=code,
            defaults={
                "display_name": name,
                "channel": channel,
                "requires_dlt": dlt,
                "is_promotional": promo,
                "is_standard": standard,
                "sort_order": order,
            },
        )

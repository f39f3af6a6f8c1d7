"""The two brands the v2 catalog documents (../shared/spec/README.md, "Brand differences"):
the same platform white-labelled as brand A (002) and brand B (003)."""

from accounts.brands.models import Module

BRAND_A = {
    "slug": "mobtexting",
    "name": "MOBtexting",
    "primary_colour": "#e4572e",
    "primary_ink_colour": "#ffffff",
    "soft_colour": "#fdebe5",
    "sidebar_colour": "#2b1a14",
    "login_title": "Welcome back to MOBtexting",
    "login_text": "SMS, WhatsApp, RCS, Viber and voice from one console.",
    "support_email": "support@mobtexting.example",
    "legal_footer": "© MOBtexting. All rights reserved.",
    "email_from": "no-reply@mobtexting.example",
    "email_from_name": "MOBtexting",
    "reply_to": "support@mobtexting.example",
    "api_title": "MOBtexting API",
    "api_servers": ["https://portal.mobtexting.com/api/v2/"],
    "product_codes": ["T", "P", "S", "G", "VOC", "WAP", "RCS", "VBR"],
    "default_product_codes": ["T", "P", "S", "G"],
    "modules": [Module.RCS, Module.VERIFY_OMNICHANNEL],
    "dlt_fields": True,
}

BRAND_B = {
    "slug": "bics",
    "name": "BICS",
    "primary_colour": "#6a1b9a",
    "primary_ink_colour": "#ffffff",
    "soft_colour": "#f1e6f7",
    "sidebar_colour": "#1d0b2a",
    "login_title": "BICS CPaaS",
    "login_text": "Enterprise messaging and voice across the globe.",
    "support_email": "cpaas-support@bics.example",
    "legal_footer": "© BICS SA/NV.",
    "email_from": "no-reply@bics.example",
    "email_from_name": "BICS CPaaS",
    "reply_to": "cpaas-support@bics.example",
    "api_title": "BICS CPaaS API",
    "api_servers": ["https://eu.cpaas.bics.com/api/v2/"],
    "product_codes": ["ENT", "BNK", "MKT", "GMS", "A2P", "DIR", "IBN", "SIPT", "ITFS", "GMN", "WAP"],
    "default_product_codes": ["ENT", "MKT", "A2P"],
    # Verify: direct OTP only (no omnichannel profiles); no RCS module at all.
    "modules": [],
    # Senders and templates without DLT fields (sms.md: "absent in 003").
    "dlt_fields": False,
}

CATALOGUED = (BRAND_A, BRAND_B)

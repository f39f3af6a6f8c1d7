"""The SMS channel: encoding and parts, DLT/sender scrub rules, the v2 SMS endpoints, Engage and the Send SMS page."""

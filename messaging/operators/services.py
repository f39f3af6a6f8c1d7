"""Staff changes to the operator tables: one prefix, or many from a CSV (`iso,prefix,operator`;
ported numbers: `mobile,operator`), validated line by line before anything is written."""

import csv
import io

import phonenumbers
from django.db import transaction

from messaging.operators import lookup
from messaging.operators.models import OperatorPrefix, PortedNumber
from portal.core.errors import ValidationFailed

MAX_LINES = 200_000


def _operator(name):
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise ValueError("The operator name must be 1 to 40 characters.")
    return name


def _prefix(iso, prefix):
    iso, prefix = (iso or "").strip().upper(), (prefix or "").strip().lstrip("+")
    code = phonenumbers.country_code_for_region(iso) if len(iso) == 2 else 0
    if not code:
        raise ValueError(f"{iso or 'The country'} is not a country code (ISO 3166, two letters).")
    if not prefix.isdigit() or not 1 <= len(prefix) <= 15:
        raise ValueError("The prefix must be 1 to 15 digits.")
    if not prefix.startswith(str(code)):
        raise ValueError(f"A {iso} prefix starts with its calling code {code} (E.164 digits).")
    return iso, prefix


def _mobile(mobile):
    digits = (mobile or "").strip().lstrip("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 16:
        raise ValueError("The number must be 6 to 16 digits (E.164, country code included).")
    return digits


def save_prefix(*, iso, prefix, operator):
    try:
        iso, prefix = _prefix(iso, prefix)
        operator = _operator(operator)
    except ValueError as exc:
        raise ValidationFailed({"prefix": [str(exc)]}) from None
    row, _ = OperatorPrefix.objects.update_or_create(iso=iso, prefix=prefix, defaults={"operator": operator})
    transaction.on_commit(lookup.changed)
    return row


def delete_prefix(row):
    row.delete()
    transaction.on_commit(lookup.changed)


def _rows(text, width):
    lines = list(csv.reader(io.StringIO(text)))
    if lines and lines[0] and not any(ch.isdigit() for ch in ",".join(lines[0])):
        lines = lines[1:]  # a header line
    if len(lines) > MAX_LINES:
        raise ValidationFailed({"file": [f"At most {MAX_LINES:,} lines per file."]})
    for number, line in enumerate(lines, start=1):
        if not any(cell.strip() for cell in line):
            continue
        if len(line) != width:
            yield number, None, f"expected {width} columns, found {len(line)}"
            continue
        yield number, line, None


def load(text, *, kind):
    """Load a CSV of prefixes (`kind="prefixes"`: iso,prefix,operator) or ported numbers
    (`kind="ported"`: mobile,operator); existing entries are updated. All or nothing: any bad
    line is a ValidationFailed naming the lines. Returns the number of entries written."""
    width = 3 if kind == "prefixes" else 2
    good, errors = {}, []
    for number, line, problem in _rows(text, width):
        try:
            if problem:
                raise ValueError(problem)
            if kind == "prefixes":
                key = _prefix(line[0], line[1])
                good[key] = _operator(line[2])
            else:
                good[_mobile(line[0])] = _operator(line[1])
        except ValueError as exc:
            errors.append(f"Line {number}: {exc}")
    if errors:
        raise ValidationFailed(
            {"file": errors[:20] + ([f"… and {len(errors) - 20} more."] if len(errors) > 20 else [])}
        )
    if not good:
        raise ValidationFailed({"file": ["The file has no entries."]})
    with transaction.atomic():
        if kind == "prefixes":
            objs = [OperatorPrefix(iso=iso, prefix=prefix, operator=op) for (iso, prefix), op in good.items()]
            OperatorPrefix.objects.bulk_create(
                objs,
                batch_size=2000,
                update_conflicts=True,
                unique_fields=["iso", "prefix"],
                update_fields=["operator"],
            )
        else:
            objs = [PortedNumber(mobile=mobile, operator=op) for mobile, op in good.items()]
            PortedNumber.objects.bulk_create(
                objs, batch_size=2000, update_conflicts=True, unique_fields=["mobile"], update_fields=["operator"]
            )
        transaction.on_commit(lookup.changed)
    return len(good)

"""A one- or two-page PDF summary of a report period, attached to scheduled reports beside the
CSV/XLSX rows: totals, delivery times, messages per day, top failure reasons, countries and
senders. Everything comes from the rollups (dashboard.range_figures), so a summary of a month
costs what one of a day does.

The PDF uses the core Helvetica font (no font files to ship, as accounts.receipts): text outside
Latin-1 is written with `?` in its place, and "≤" as "<=".
"""

from django.db.models import Sum
from fpdf import FPDF

from messaging.reports import dashboard, summary
from messaging.reports.dashboard import DELIVERED, Totals

ROLLUP_FILTERS = {"sender": "sender", "iso": "iso"}  # schedule filters the rollups can apply


def _latin1(value):
    text = str(value).replace("≤", "<=").replace("—", "-").replace("–", "-")
    return text.encode("latin-1", "replace").decode("latin-1")


def facts(account, first, last, filters=None):
    """What the summary shows for local days [first, last]: a dict of plain values."""
    applied = {ROLLUP_FILTERS[k]: v for k, v in (filters or {}).items() if k in ROLLUP_FILTERS and v}
    figures = dashboard.range_figures(account, first, last, **applied)
    per_day = {}
    rows = (
        summary.rollups(account, first, last, **applied)
        .values("day", "pending")
        .annotate(messages=Sum("messages"), units=Sum("units"), cost=Sum("cost"), refunds=Sum("refunds"))
        .annotate(delivered=Sum(DELIVERED))
        .order_by("day")
    )
    for r in rows:
        per_day.setdefault(r["day"], Totals()).add(r)
    top = {
        dim: sorted(figures["volume"][dim].items(), key=lambda kv: -kv[1])[: dashboard.SERIES_TOP]
        for dim in ("iso", "sender", "channel")
    }
    return {
        "first": first,
        "last": last,
        "filters": applied,
        "ignored": sorted(k for k, v in (filters or {}).items() if v and k not in ROLLUP_FILTERS),
        "totals": figures["totals"],
        "settling": figures["settling"],
        "latency": figures["latency"],
        "failures": figures["failures"],
        "per_day": sorted(per_day.items()),
        "top": top,
    }


def _table(pdf, widths, header, rows):
    pdf.set_font("Helvetica", "B", 9)
    for width, text in zip(widths, header, strict=True):
        pdf.cell(width, 6, _latin1(text), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for row in rows:
        for width, text in zip(widths, row, strict=True):
            pdf.cell(width, 5.5, _latin1(text)[:70])
        pdf.ln()
    pdf.ln(3)


def _day_row(day, t):
    counts = (t.messages, t.delivered, t.failed, t.pending)
    return (f"{day:%Y-%m-%d}", *(f"{n:,}" for n in counts), f"{t.spend:,.2f}")


def _heading(pdf, text):
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def render(account, *, title, first, last, filters=None, brand_name="", created_at=None) -> bytes:
    """The summary as PDF bytes."""
    data = facts(account, first, last, filters)
    totals = data["totals"]
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"{title} {first:%Y-%m-%d} - {last:%Y-%m-%d}"))
    if brand_name:
        pdf.set_author(_latin1(brand_name))
    if created_at:
        pdf.set_creation_date(created_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"{title}: summary"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    period = f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    pdf.cell(0, 6, _latin1(f"{account.name} - {period} ({account.time_zone})"), new_x="LMARGIN", new_y="NEXT")
    scope = ", ".join(f"{k}: {v}" for k, v in data["filters"].items()) or "all messages"
    pdf.cell(0, 6, _latin1(f"Covers {scope}."), new_x="LMARGIN", new_y="NEXT")
    if data["ignored"]:
        pdf.cell(
            0, 6, _latin1(f"The attached rows are also filtered by {', '.join(data['ignored'])}."), new_x="LMARGIN"
        )
        pdf.ln()
    if data["settling"].messages:
        pdf.set_font("Helvetica", "I", 9)
        pdf.multi_cell(
            0,
            5,
            _latin1(
                f"Settling: receipts may still arrive for the last 72 hours; {data['settling'].pending:,} "
                f"messages ({data['settling'].pending_share}% of them) were still pending."
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(3)
    _heading(pdf, "Totals")
    rate = f"{totals.delivery_rate}%" if totals.delivery_rate is not None else "-"
    _table(
        pdf,
        (32, 26, 26, 26, 26, 26, 28),
        ("Messages", "Delivered", "Failed", "Pending", "Delivery rate", "Spend", "Refunds"),
        [
            (
                f"{totals.messages:,}",
                f"{totals.delivered:,}",
                f"{totals.failed:,}",
                f"{totals.pending:,}",
                rate,
                f"{totals.spend:,.2f}",
                f"{totals.refunds:,.2f}",
            )
        ],
    )
    latency = data["latency"]
    _heading(pdf, "Time to deliver")
    _table(
        pdf,
        (40, 40, 40),
        ("p50", "p90", "p99"),
        [(latency["p50"] or "-", latency["p90"] or "-", latency["p99"] or "-")],
    )
    _heading(pdf, "Per day")
    _table(
        pdf,
        (32, 30, 30, 30, 30, 30),
        ("Day", "Messages", "Delivered", "Failed", "Pending", "Spend"),
        [_day_row(day, t) for day, t in data["per_day"]] or [("-", "0", "0", "0", "0", "0.00")],
    )
    if data["failures"]:
        _heading(pdf, "Top failure reasons")
        _table(
            pdf,
            (30, 16, 22, 112),
            ("Status", "Code", "Messages", "Meaning"),
            [(f["status"], f["code"] or "-", f"{f['count']:,}", f["explanation"]) for f in data["failures"]],
        )
    for dim, label in (("iso", "Countries"), ("sender", "Senders"), ("channel", "Channels")):
        if data["top"][dim]:
            _heading(pdf, label)
            _table(pdf, (50, 40), (label[:-1], "Messages"), [(k, f"{n:,}") for k, n in data["top"][dim]])
    return bytes(pdf.output())

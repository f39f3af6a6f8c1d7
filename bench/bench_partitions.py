"""Lookups on the message table by month partitions against the same rows in one plain table.

Builds, in a scratch database migrated as the project is, a copy of `sending_message`'s layout
as a plain table (`plain_message`, PRIMARY KEY (id), UNIQUE (batch_id, index)) and fills both it
and the partitioned `sending_message` with the same rows: `--months` months of `--per-month`
messages in batches of 1,000. Then times, alternately on the two tables, the statements the
pipeline runs by id or batch (what partition pruning cannot narrow to one month):

- `ids`: 500 ids of one month (`WHERE id = ANY(...)`, as the dispatcher's release and refusals do)
- `claim`: the dispatcher's claim, a batch's next 1,000 queued rows by index, FOR UPDATE SKIP LOCKED
- `supplier`: 500 receipts' supplier ids (`supplier = … AND supplier_message_id = ANY(...)`)
- `insert`: COPY of 10,000 rows into the current month (the accept path), rolled back

Prints milliseconds per statement (median of `--repeat`) for each table and the ratio.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_partitions.py [--months 12] [--per-month 100000] [--repeat 15]
"""

import argparse
import random
import statistics
import time
from datetime import UTC, datetime

from _setup import scratch_database, setup_django

COLUMNS = (
    "index, mobile, iso, sender, product_code, text, encoding, length, units, price, charges, state, status, "
    "status_code, priority, custom, flash, port, template_id, entity_id, supplier, supplier_message_id, "
    "webhook_id, submitted_at, updated_at, account_id, batch_id, dlr_mask, dlr_url"
)


def fill(cursor, table, account_id, batch_ids, months, per_month):
    """Rows generated in SQL: batch b of month m holds 1,000 messages submitted at the batch time."""
    cursor.execute(
        f"""INSERT INTO {table} (id, {COLUMNS})
        SELECT g, (g - 1) %% 1000 + 1, '4474' || lpad(g::text, 8, '0'), 'GB', 'AcmeUK', 'G', 'Hello there', 'GSM', 11,
               1, 0.1, 0.1, CASE WHEN m = %s - 1 THEN 'queued' ELSE 'final' END,
               CASE WHEN m = %s - 1 THEN 'AWAITING-DLR' ELSE 'DELIVRD' END, '', 0, '', false, '', '', '',
               'simulator', 's' || g, '', t, t, %s, (%s::bigint[])[(g - 1) / 1000 + 1], 1, ''
          FROM (SELECT g, (g - 1) / %s AS m FROM generate_series(1, %s) g) s,
               LATERAL (SELECT (%s::timestamptz + make_interval(months => m::int)
                                + make_interval(secs => ((g - 1) / 1000 %% 1000))) AS t) tt""",  # noqa: S608
        [months, months, account_id, batch_ids, per_month, months * per_month, START],
    )


START = datetime(2026, 1, 1, 1, tzinfo=UTC)


def timed(cursor, sql, params, repeat):
    times = []
    for _ in range(repeat):
        cursor.execute("BEGIN")
        start = time.perf_counter()
        cursor.execute(sql, params)
        if cursor.description:
            cursor.fetchall()
        times.append((time.perf_counter() - start) * 1000)
        cursor.execute("ROLLBACK")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--per-month", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.db import connection

        from messaging.pipeline import partitions
        from tests.factories import make_account

        account = make_account()[0]
        total = args.months * args.per_month
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO sending_batch (uuid, account_id, name, source, product_id, channel, total, accepted, cost,"
                " request_hash, response, created_at) SELECT gen_random_uuid(), %s, '', 'api',"
                " (SELECT id FROM messaging_product WHERE code = 'G'), 'sms', 1000, 1000, 100, '', '{}', now()"
                " FROM generate_series(1, %s) RETURNING id",
                [account.pk, total // 1000],
            )
            batch_ids = sorted(r[0] for r in cursor.fetchall())
        for m in range(args.months + 1):
            partitions.ensure(datetime(START.year + (START.month - 1 + m) // 12, (START.month - 1 + m) % 12 + 1, 2,
                                       tzinfo=UTC), ahead=0)  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE plain_message (LIKE sending_message INCLUDING DEFAULTS)")
            t0 = time.perf_counter()
            fill(cursor, "sending_message", account.pk, batch_ids, args.months, args.per_month)
            fill_partitioned = time.perf_counter() - t0
            t0 = time.perf_counter()
            fill(cursor, "plain_message", account.pk, batch_ids, args.months, args.per_month)
            fill_plain = time.perf_counter() - t0
            cursor.execute("SELECT setval('sending_message_id_seq', %s)", [total])
            cursor.execute("ALTER TABLE plain_message ADD PRIMARY KEY (id)")
            cursor.execute("ALTER TABLE plain_message ADD UNIQUE (batch_id, index)")
            # Every secondary index the partitioned table has, on the plain one too, so the two
            # differ only by partitioning (the key and the unique index differ by submitted_at).
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'sending_message'"
                " AND indexname NOT IN ('sending_message_pkey', 'uniq_message_index')"
            )
            for (definition,) in cursor.fetchall():
                cursor.execute(
                    definition.replace("CREATE INDEX ", "CREATE INDEX plain_", 1)
                    .replace(" ON ONLY public.sending_message ", " ON public.plain_message ")
                    .replace(" ON public.sending_message ", " ON public.plain_message ")
                )
            cursor.execute("ANALYZE sending_message")
            cursor.execute("ANALYZE plain_message")
            cursor.execute(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'sending_message'::regclass"
            )  # fmt: skip
            count = cursor.fetchone()[0]
        print(f"{total:,} messages over {args.months} months; {count} partitions (default included)")
        print(f"fill by INSERT … SELECT: partitioned {fill_partitioned:.1f} s, plain {fill_plain:.1f} s")
        rng = random.Random(1)
        month = rng.randrange(args.months)
        ids = [month * args.per_month + rng.randrange(args.per_month) + 1 for _ in range(500)]
        last_batch = batch_ids[(args.months * args.per_month - 1) // 1000]
        sids = [f"s{i}" for i in ids]
        stamp = datetime.now(UTC).isoformat()
        fresh = (
            "1001", "", "GB", "AcmeUK", "G", "Hi", "GSM", "2", "1", "0.1", "0.1", "queued", "AWAITING-DLR", "", "0", "",
            "f", "", "", "", "", "", "", stamp, stamp, str(account.pk), str(batch_ids[0]), "1", "",
        )  # fmt: skip
        assert len(fresh) == len(COLUMNS.split(","))
        copy_rows = "".join(
            "\t".join((str(1001 + i), f"4475{i:08d}", *fresh[2:])) + "\n" for i in range(10_000)
        )  # positions 1001.. of the first batch: new to both tables' unique keys
        statements = {
            "ids": ("SELECT id, state FROM {t} WHERE id = ANY(%s)", [ids]),
            "claim": (
                "SELECT id FROM {t} WHERE batch_id = %s AND state = 'queued' AND index > 0 "
                "ORDER BY index LIMIT 1000 FOR UPDATE SKIP LOCKED",
                [last_batch],
            ),
            "supplier": (
                "SELECT id FROM {t} WHERE supplier = 'simulator' AND supplier_message_id = ANY(%s) AND progress < 5",
                [sids],
            ),
        }
        results = {name: {"sending_message": [], "plain_message": []} for name in [*statements, "insert"]}
        with connection.cursor() as cursor:
            for _round in range(2):  # ABAB
                for table in ("sending_message", "plain_message", "sending_message", "plain_message"):
                    for name, (sql, params) in statements.items():
                        results[name][table].append(timed(cursor, sql.format(t=table), params, args.repeat))
                    times = []
                    for _ in range(max(3, args.repeat // 3)):
                        cursor.execute("BEGIN")
                        start = time.perf_counter()
                        with cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:  # noqa: S608
                            copy.write(copy_rows)
                        times.append((time.perf_counter() - start) * 1000)
                        cursor.execute("ROLLBACK")
                    results["insert"][table].append(statistics.median(times))
        print("statement: partitioned ms (median of each pass) | plain ms | partitioned / plain")
        for name, by_table in results.items():
            part, plain = statistics.median(by_table["sending_message"]), statistics.median(by_table["plain_message"])
            print(
                f"{name:9s} {', '.join(f'{v:.2f}' for v in by_table['sending_message'])} | "
                f"{', '.join(f'{v:.2f}' for v in by_table['plain_message'])} | {part / plain:.2f}"
            )
    finally:
        teardown()


if __name__ == "__main__":
    main()

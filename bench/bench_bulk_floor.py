"""The database's own floor for a bulk send: a bare `COPY` of a batch's message rows, with nothing
done in Python while it runs, into (a) our message table with every index it has and (b) a narrow
table with a primary key and two indexes. Each COPY runs in a transaction that is rolled back.

The rows are a real batch's, read back with `COPY (SELECT …) TO STDOUT` and retargeted to a new
batch created in the same transaction (so no unique index is violated), then written back as the
pre-formatted text: the figure is what PostgreSQL alone needs to take them. `bench_bulk_send.py`
measures it in the same process as the send, so the ratio is taken in one sitting.

Run on its own (it makes a 100,000-recipient batch first):
    cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
        ../.venv/bin/python bench_bulk_floor.py [--rounds 3]
"""

import argparse
import statistics
import time

NARROW = """
CREATE TABLE bench_narrow_message (
    id bigserial PRIMARY KEY, batch_id bigint NOT NULL, index integer NOT NULL, mobile varchar(16) NOT NULL,
    status varchar(30) NOT NULL, submitted_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX bench_narrow_batch_index ON bench_narrow_message (batch_id, index);
CREATE INDEX bench_narrow_mobile ON bench_narrow_message (mobile);
"""


def _batch_copy(cursor, source_id):
    """A copy of the source batch (inside the caller's rolled-back transaction) for the rows to point at."""
    cursor.execute(
        "INSERT INTO sending_batch (uuid, account_id, name, source, product_id, channel, total,"
        " accepted, cost, request_hash, response, created_at) SELECT gen_random_uuid(), account_id,"
        " 'floor', source, product_id, channel, total, accepted, cost, '', '{}', now()"
        " FROM sending_batch WHERE id = %s RETURNING id",
        [source_id],
    )
    return cursor.fetchone()[0]


def message_indexes(cursor):
    cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'sending_message' ORDER BY indexname")
    return [name for (name,) in cursor.fetchall()]


def _columns(cursor):
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'sending_message' "
        "AND column_name <> 'id' ORDER BY ordinal_position"
    )
    return [name for (name,) in cursor.fetchall()]


def _export(cursor, batch_id, columns, new_batch_id):
    select = ", ".join(str(new_batch_id) if c == "batch_id" else f'"{c}"' for c in columns)
    chunks = []
    with cursor.copy(
        f"COPY (SELECT {select} FROM sending_message WHERE batch_id = {int(batch_id)} ORDER BY index) TO STDOUT"  # noqa: S608
    ) as copy:
        for data in copy:
            chunks.append(bytes(data))
    return b"".join(chunks)


def _write(cursor, sql, payload, block=1 << 20):
    start = time.perf_counter()
    with cursor.copy(sql) as copy:
        for offset in range(0, len(payload), block):
            copy.write(payload[offset : offset + block])
    return time.perf_counter() - start


def measure(batch_id, *, rounds=3):
    """Seconds for the bare COPY of batch `batch_id`'s rows (message table, narrow table), one
    figure per round; returns {"message": [...], "narrow": [...], "rows": n, "indexes": [...]}."""
    from django.db import connection

    from messaging.pipeline.models import Batch

    source = Batch.objects.get(pk=batch_id)
    result = {"message": [], "narrow": [], "rows": 0}
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor, for copy()
        result["indexes"] = message_indexes(cursor)
        columns = _columns(cursor)
        for _ in range(rounds):
            connection.set_autocommit(False)
            try:
                new_id = _batch_copy(cursor, source.pk)
                payload = _export(cursor, source.pk, columns, new_id)
                result["rows"] = payload.count(b"\n")
                quoted = ", ".join(f'"{c}"' for c in columns)
                result["message"].append(_write(cursor, f"COPY sending_message ({quoted}) FROM STDIN", payload))
            finally:
                connection.rollback()
            try:
                cursor.execute(NARROW)
                narrow = _export_narrow(cursor, source.pk)
                result["narrow"].append(
                    _write(
                        cursor,
                        "COPY bench_narrow_message (batch_id, index, mobile, status, submitted_at) FROM STDIN",
                        narrow,
                    )
                )
            finally:
                connection.rollback()
                connection.set_autocommit(True)
    return result


def index_costs(batch_id, *, rounds=2):
    """What each index and the foreign keys cost the COPY: the bare COPY with one index dropped (in
    the rolled-back transaction), with none but the primary key, and the deferred foreign-key checks
    that a commit would run (`SET CONSTRAINTS ALL IMMEDIATE` after the COPY). Seconds per variant."""
    from django.db import connection

    from messaging.pipeline.models import Batch

    source = Batch.objects.get(pk=batch_id)
    costs = {}
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        indexes = [i for i in message_indexes(cursor) if i != "sending_message_pkey"]
        columns = _columns(cursor)
        quoted = ", ".join(f'"{c}"' for c in columns)
        variants = [("all indexes", [])] + [(f"without {i}", [i]) for i in indexes] + [("pkey only", indexes)]
        variants += [("all indexes + FK checks", None), ("(account, mobile) in C collation", "collate")]
        for _ in range(rounds):
            for label, dropped in variants:
                connection.set_autocommit(False)
                try:
                    new_id = _batch_copy(cursor, source.pk)
                    payload = _export(cursor, source.pk, columns, new_id)
                    if dropped == "collate":
                        cursor.execute('DROP INDEX "sending_mes_account_af1452_idx"')
                        cursor.execute(
                            'CREATE INDEX bench_mobile_c ON sending_message (account_id, mobile COLLATE "C")'
                        )
                        dropped = []
                    for name in dropped or ():
                        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [name])
                        if cursor.fetchone():  # a unique constraint's index goes with the constraint
                            cursor.execute(f'ALTER TABLE sending_message DROP CONSTRAINT "{name}"')
                        else:
                            cursor.execute(f'DROP INDEX "{name}"')
                    start = time.perf_counter()
                    _write(cursor, f"COPY sending_message ({quoted}) FROM STDIN", payload)
                    if dropped is None:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    costs.setdefault(label, []).append(time.perf_counter() - start)
                finally:
                    connection.rollback()
                    connection.set_autocommit(True)
    return costs


def _export_narrow(cursor, batch_id):
    chunks = []
    with cursor.copy(
        "COPY (SELECT batch_id, index, mobile, status, submitted_at FROM sending_message "
        f"WHERE batch_id = {int(batch_id)} ORDER BY index) TO STDOUT"  # noqa: S608
    ) as copy:
        for data in copy:
            chunks.append(bytes(data))
    return b"".join(chunks)


def describe(result):
    med = statistics.median
    return (
        f"floor: bare COPY of {result['rows']:,} rows (rolled back), message table "
        f"{med(result['message']):.2f} s (runs {', '.join(f'{s:.2f}' for s in result['message'])}; "
        f"{len(result['indexes'])} indexes: {', '.join(result['indexes'])}), narrow table with 2 indexes "
        f"{med(result['narrow']):.2f} s (runs {', '.join(f'{s:.2f}' for s in result['narrow'])})"
    )


def main():
    from _setup import scratch_database, setup_django
    from bench_bulk_send import make_world, submit_in_process

    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--indexes", action="store_true", help="also time the COPY without each index")
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        world = make_world(args.recipients)
        submission, _ = submit_in_process(world)
        print(describe(measure(submission.batch.pk, rounds=args.rounds)))
        if args.indexes:
            for label, values in index_costs(submission.batch.pk).items():
                print(f"  {label}: {statistics.median(values):.2f} s (runs {', '.join(f'{v:.2f}' for v in values)})")
    finally:
        teardown()


if __name__ == "__main__":
    main()

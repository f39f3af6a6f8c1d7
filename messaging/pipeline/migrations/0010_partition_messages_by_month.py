"""PostgreSQL: `sending_message` becomes a table partitioned by month of `submitted_at`
(docs/architecture.md, "Message partitions"). SQLite keeps the plain table: nothing runs there.

The existing rows survive: the old table is renamed, a partitioned table with the same columns,
defaults, checks and foreign keys takes its name, a partition is created for every month that holds
rows (and for the months ahead), the rows are copied month by month, and the old table is dropped.
Every index and constraint is recreated under its old name from the catalog (so later migrations
that name them keep working), with one change forced by partitioning: a primary key or unique
constraint must contain the partition key, so `PRIMARY KEY (id)` becomes `(id, submitted_at)` and
`uniq_message_index (batch_id, index)` becomes `(batch_id, index, submitted_at)`. Both stay as
strict as before: ids come from one sequence, and every row of a batch carries the batch's submit
time. Django's model state is unchanged (the model still says `id` is the key).

Self-contained on purpose: a migration must not change when the runtime module
(`messaging.pipeline.partitions`) does. Reversible: the reverse rebuilds a plain table the same way.
"""

from datetime import UTC, datetime

from django.db import migrations

TABLE = "sending_message"
KEY = "submitted_at"
AHEAD = 3  # months created ahead of the current one (the beat task keeps it so)


def _month_start(moment):
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def _next_month(start):
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def _indexes(cursor, table):
    """(definition) of every index that backs no constraint."""
    cursor.execute(
        """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
            WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY i.indexrelid""",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _constraints(cursor, table):
    """(name, type, definition) of every constraint but NOT NULL, keys first."""
    cursor.execute(
        """SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'c')
            ORDER BY position(contype IN 'pufc'), conname""",
        [table],
    )
    return cursor.fetchall()


def _with_key(definition, partitioned):
    """A PRIMARY KEY / UNIQUE definition with the partition key added (or removed again)."""
    head, _, cols = definition.partition("(")
    cols = cols.rstrip(")")
    names = [c.strip() for c in cols.split(",")]
    if partitioned and KEY not in names:
        names.append(KEY)
    if not partitioned and names[-1] == KEY and len(names) > 1:
        names.pop()
    return f"{head}({', '.join(names)})"


def _rebuild(schema_editor, *, partitioned):
    if schema_editor.connection.vendor != "postgresql":
        return
    old = f"{TABLE}_unpartitioned" if partitioned else f"{TABLE}_partitioned"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE])
        if (cursor.fetchone()[0] == "p") == partitioned:
            return  # already in the wanted layout
        indexes = _indexes(cursor, TABLE)
        constraints = _constraints(cursor, TABLE)
        cursor.execute(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [TABLE],
        )
        columns = cursor.fetchone()[0]
        cursor.execute(f"SELECT min({KEY}), max({KEY}), coalesce(max(id), 0) FROM {TABLE}")  # noqa: S608
        first, last, max_id = cursor.fetchone()
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
        # Columns, NOT NULL and defaults only; keys, checks and indexes come back by name below.
        tail = f" PARTITION BY RANGE ({KEY})" if partitioned else ""
        cursor.execute(f"CREATE TABLE {TABLE} (LIKE {old} INCLUDING DEFAULTS){tail}")
        # The ids go on from the same point; a sequence owned by the column (what
        # pg_get_serial_sequence and Django's sequence reset find) instead of the identity, which
        # PostgreSQL before 17 cannot keep on a partitioned table.
        cursor.execute(f"CREATE SEQUENCE {TABLE}_id_seq_p OWNED BY {TABLE}.id")
        cursor.execute(f"SELECT setval('{TABLE}_id_seq_p', %s, %s)", [max(max_id, 1), max_id > 0])
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq_p')")
        if partitioned:
            now = datetime.now(UTC)
            start = _month_start(min(first or now, now))
            end = _month_start(max(last or now, now))
            for _ in range(AHEAD):
                end = _next_month(end)
            while start <= end:
                upper = _next_month(start)
                cursor.execute(
                    f"CREATE TABLE {TABLE}_p{start:%Y_%m} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
                    [start, upper],
                )
                cursor.execute(
                    f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {old} "  # noqa: S608
                    f"WHERE {KEY} >= %s AND {KEY} < %s",
                    [start, upper],
                )
                start = upper
            # Rows dated outside every month created (a clock far off) land here, never fail; the
            # beat task moves them into a month of their own.
            cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        else:
            cursor.execute(f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {old}")  # noqa: S608
        cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
        copied = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM {old}")  # noqa: S608
        if cursor.fetchone()[0] != copied:
            raise RuntimeError(f"{TABLE}: rows were not all copied; nothing changed")
        cursor.execute(f"DROP TABLE {old}")  # frees the index and constraint names
        cursor.execute(f"ALTER SEQUENCE {TABLE}_id_seq_p RENAME TO {TABLE}_id_seq")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq')")
        for name, kind, definition in constraints:
            if kind in "pu":
                definition = _with_key(definition, partitioned)
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
        for definition in indexes:
            cursor.execute(definition)
        cursor.execute(f"ANALYZE {TABLE}")


def partition(apps, schema_editor):
    _rebuild(schema_editor, partitioned=True)


def unpartition(apps, schema_editor):
    _rebuild(schema_editor, partitioned=False)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [("sending", "0009_batch_created_at_is_submit_time")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]

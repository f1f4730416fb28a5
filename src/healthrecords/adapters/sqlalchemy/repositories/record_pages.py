"""The doctor's all-files page on PostgreSQL: one fixed statement per filter shape.

The assigned files travel as one uuid[] parameter, so the statement text is
the same for 1 file or 1,000: compiled and prepared once, never built per
request. Its cost is one index-only lookup per file plus a page per few files:

1. heads: each file's newest live record after the cursor (LIMIT 1, index-only
   on ix_health_record_patient_live);
2. bar: the limit-th newest head. A file whose head is older than the bar
   cannot hold any of the page's rows (that many heads, all distinct rows,
   are newer than anything in it), so only the files at or above the bar,
   about `limit` of them, are walked for up to `limit` keys each;
3. the page's keys are joined back to their full rows (with the wrapped data key
   each was sealed under, data_keys.py): `limit` fetches.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import LargeBinary, String, Table, column, text
from sqlalchemy.sql.selectable import TextualSelect

from healthrecords.adapters.sqlalchemy.models import RecordRow

_PAGE = """
WITH heads AS MATERIALIZED (
    SELECT f.patient_id, k.recorded_at, k.id
    FROM {files} AS f(patient_id)
    CROSS JOIN LATERAL (
        SELECT i.recorded_at, i.id FROM health_record AS i
        WHERE i.patient_id = f.patient_id AND i.deleted_at IS NULL{kind}{after}
        ORDER BY i.recorded_at DESC, i.id DESC
        LIMIT 1
    ) AS k
), bar AS (
    SELECT hd.recorded_at, hd.id FROM heads AS hd
    ORDER BY hd.recorded_at DESC, hd.id DESC
    OFFSET CAST(:limit AS integer) - 1
    LIMIT 1
), top AS (
    SELECT k.id, k.recorded_at FROM heads AS hd
    CROSS JOIN LATERAL (
        SELECT i.id, i.recorded_at FROM health_record AS i
        WHERE i.patient_id = hd.patient_id AND i.deleted_at IS NULL{kind}{after}
        ORDER BY i.recorded_at DESC, i.id DESC
        LIMIT :limit
    ) AS k
    WHERE (hd.recorded_at, hd.id) >= ALL (SELECT b.recorded_at, b.id FROM bar AS b)
    ORDER BY k.recorded_at DESC, k.id DESC
    LIMIT :limit
)
SELECT {columns}, dk.wrap_key_id AS dk_wrap_key_id, dk.wrapped_key AS dk_wrapped_key
FROM top JOIN health_record AS h ON h.id = top.id
LEFT JOIN patient_data_key AS dk ON dk.patient_id = h.patient_id AND dk.ref = h.key_id
WHERE dk.id IS NOT NULL OR substr(h.key_id, 1, 3) <> 'dk:'
ORDER BY h.recorded_at DESC, h.id DESC
"""
_KIND = " AND i.record_type = :record_type"
_AFTER = " AND (i.recorded_at, i.id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid))"

# advanced-alchemy's sentinel column is no part of a record.
COLUMNS = [c for c in cast(Table, RecordRow.__table__).columns if c.name != "sa_orm_sentinel"]


# The files: named in a uuid[], or those of the doctor's active assignments
# (an index-only scan of uq_assignment_active), read in the same statement.
_NAMED = "unnest(CAST(:files AS uuid[]))"
_ASSIGNED = (
    "(SELECT a.patient_id FROM assignment AS a"
    " WHERE a.doctor_id = CAST(:doctor_id AS uuid) AND a.revoked_at IS NULL)"
)


def _statement(kind: bool, after: bool, files: str = _NAMED) -> TextualSelect:
    page = _PAGE.format(
        files=files,
        kind=_KIND if kind else "",
        after=_AFTER if after else "",
        columns=", ".join(f"h.{c.name}" for c in COLUMNS),
    )
    # Typed result columns: rows come back converted like any select's.
    return text(page).columns(
        *COLUMNS, column("dk_wrap_key_id", String), column("dk_wrapped_key", LargeBinary)
    )


# (filtered by record type, after a cursor) -> statement
STATEMENTS: dict[tuple[bool, bool], Any] = {
    (kind, after): _statement(kind, after) for kind in (False, True) for after in (False, True)
}
ASSIGNED_STATEMENTS: dict[tuple[bool, bool], Any] = {
    (kind, after): _statement(kind, after, _ASSIGNED)
    for kind in (False, True)
    for after in (False, True)
}

"""The doctor's all-files page on PostgreSQL: one fixed statement per filter shape.

The assigned files travel as one uuid[] parameter, so the statement text is
the same for 1 file or 1,000: compiled and prepared once, never built per
request. Each file is one LATERAL index range scan on
(patient_id[, record_type], recorded_at, id) stopping after a page; the outer
top-N sort merges at most files x page rows.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text

_PAGE = """
SELECT r.* FROM unnest(CAST(:files AS uuid[])) AS f(patient_id)
CROSS JOIN LATERAL (
    SELECT h.* FROM health_record AS h
    WHERE h.patient_id = f.patient_id AND h.deleted_at IS NULL{kind}{after}
    ORDER BY h.recorded_at DESC, h.id DESC
    LIMIT :limit
) AS r
ORDER BY r.recorded_at DESC, r.id DESC
LIMIT :limit
"""
_KIND = " AND h.record_type = :record_type"
_AFTER = " AND (h.recorded_at, h.id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid))"

# (filtered by record type, after a cursor) -> statement
STATEMENTS: dict[tuple[bool, bool], TextClause] = {
    (kind, after): text(_PAGE.format(kind=_KIND if kind else "", after=_AFTER if after else ""))
    for kind in (False, True)
    for after in (False, True)
}

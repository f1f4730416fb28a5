"""The project's entities as FHIR R4 (4.0.1) resources, plain JSON-ready dicts.

The mapping table is in the README ("FHIR R4 view"); each record type has one
resource type and a few facts (`Shape`) about where its fields land.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from healthrecords.domain.annotations import Annotation
from healthrecords.domain.records import Record, RecordType
from healthrecords.domain.services.patient_files import AnnotatedRecord
from healthrecords.domain.users import User

Json = dict[str, Any]
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
# Core extension (type Annotation) for a resource without a `note` element.
NOTE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/note"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"


@dataclass(frozen=True, slots=True)
class Shape:
    """Where a record's fields go in its FHIR resource."""

    resource_type: str
    code: str  # the CodeableConcept holding the title
    date: str  # the clinically relevant date
    author: str  # the reference to whoever wrote it
    subject: str = "subject"
    fixed: tuple[tuple[str, Any], ...] = ()
    author_list: bool = False  # author is 0..* (or a performer backbone)
    content_as_value: bool = False  # Observation: the content is the value


def _category(code: str, display: str) -> tuple[str, Any]:
    concept = {"coding": [{"system": CATEGORY_SYSTEM, "code": code, "display": display}]}
    return ("category", [concept])


def _observation(category: str, display: str) -> Shape:
    """Record types shown as Observations differ only in their category."""
    return Shape(
        "Observation",
        "code",
        "effectiveDateTime",
        "performer",
        fixed=(("status", "final"), _category(category, display)),
        author_list=True,
        content_as_value=True,
    )


SHAPES: dict[RecordType, Shape] = {
    RecordType.CONDITION: Shape("Condition", "code", "onsetDateTime", "recorder"),
    RecordType.MEDICATION: Shape(
        "MedicationStatement",
        "medicationCodeableConcept",
        "effectiveDateTime",
        "informationSource",
        fixed=(("status", "unknown"),),
    ),
    RecordType.ALLERGY: Shape(
        "AllergyIntolerance",
        "code",
        "onsetDateTime",
        "recorder",
        subject="patient",
        # R4 ait-1 wants a clinical status; a recorded allergy stands until changed.
        fixed=(("clinicalStatus", {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]}),),
    ),
    RecordType.LAB_RESULT: _observation("laboratory", "Laboratory"),
    RecordType.VITAL_SIGN: _observation("vital-signs", "Vital Signs"),
    RecordType.IMMUNIZATION: Shape(
        "Immunization",
        "vaccineCode",
        "occurrenceDateTime",
        "performer",
        subject="patient",
        fixed=(("status", "completed"),),
        author_list=True,
    ),
    RecordType.PROCEDURE: Shape(
        "Procedure", "code", "performedDateTime", "recorder", fixed=(("status", "unknown"),)
    ),
    RecordType.NOTE: Shape(
        "DocumentReference",
        "type",
        "date",
        "author",
        fixed=(("status", "current"),),
        author_list=True,
    ),
}
# FHIR type -> the record types it shows.
RECORD_TYPES: dict[str, frozenset[RecordType]] = {}
for _kind, _shape in SHAPES.items():
    RECORD_TYPES[_shape.resource_type] = RECORD_TYPES.get(_shape.resource_type, frozenset()) | {
        _kind
    }
CATEGORIES = {"laboratory": RecordType.LAB_RESULT, "vital-signs": RecordType.VITAL_SIGN}


def instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def author_reference(record: Record) -> Json:
    """Patients write only in their own file; anyone else writing there is a doctor."""
    kind = "Patient" if record.author_id == record.patient_id else "Practitioner"
    return {"reference": f"{kind}/{record.author_id}"}


def note(text: str, author: Json, at: datetime) -> Json:
    return {"authorReference": author, "time": instant(at), "text": text}


def annotation_note(annotation: Annotation) -> Json:
    author = {"reference": f"Practitioner/{annotation.author_id}"}
    return note(annotation.body, author, annotation.created_at)


def record_resource(item: AnnotatedRecord) -> Json:
    record = item.record
    shape = SHAPES[record.record_type]
    author = author_reference(record)
    resource: Json = {
        "resourceType": shape.resource_type,
        "id": str(record.id),
        "meta": {"versionId": str(record.version), "lastUpdated": instant(record.updated_at)},
        **dict(shape.fixed),
        shape.code: {"text": record.title},
        shape.subject: {"reference": f"Patient/{record.patient_id}"},
        shape.date: instant(record.recorded_at),
    }
    if shape.resource_type == "Immunization":
        resource[shape.author] = [{"actor": author}]
    else:
        resource[shape.author] = [author] if shape.author_list else author
    notes = [annotation_note(a) for a in item.annotations]
    has_content = bool(record.content.strip())  # FHIR strings are never empty
    if shape.content_as_value and has_content:
        resource["valueString"] = record.content
    elif has_content and shape.resource_type != "DocumentReference":
        notes.insert(0, note(record.content, author, record.updated_at))
    if shape.resource_type == "DocumentReference":
        resource["content"] = [{"attachment": _attachment(record)}]
        if notes:
            resource["extension"] = [{"url": NOTE_EXTENSION, "valueAnnotation": n} for n in notes]
    elif notes:
        resource["note"] = notes
    return resource


def _attachment(record: Record) -> Json:
    attachment: Json = {"contentType": "text/plain; charset=utf-8", "title": record.title}
    if record.content:
        attachment["data"] = base64.b64encode(record.content.encode()).decode()
    return attachment


def person_resource(resource_type: str, user: User) -> Json:
    return {
        "resourceType": resource_type,
        "id": str(user.id),
        "meta": {"lastUpdated": instant(user.updated_at)},
        "active": user.is_active,
        "name": [{"text": user.full_name}],
    }


def patient_resource(user: User) -> Json:
    return person_resource("Patient", user)


def practitioner_resource(user: User) -> Json:
    return person_resource("Practitioner", user)

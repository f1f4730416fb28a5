"""A read-only FHIR R4 view of the patient files under /fhir."""

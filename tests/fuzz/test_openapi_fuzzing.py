"""Property-based fuzzing of every operation in the app's own OpenAPI schema.

Against a live `healthrecords serve` process, once anonymous and once as a
signed-in patient, doctor and admin. Every answer must be declared by the
schema for that operation (status, content type, body), no answer may be a
5xx, invalid input must be rejected with a 4xx, and every error must be an
RFC 9457 problem+json document (under /fhir, a FHIR OperationOutcome).

HEALTHRECORDS_FUZZ_EXAMPLES sets the examples per operation and role (CI
default below); raise it for a longer hunt. Runs are derandomized (the same
examples every time) so CI is repeatable; HEALTHRECORDS_FUZZ_RANDOM=1 draws new
examples on each run.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.faults.processes import ApiServer
from tests.people import SeededUser

MAX_EXAMPLES = int(os.environ.get("HEALTHRECORDS_FUZZ_EXAMPLES", "12"))
RANDOM = os.environ.get("HEALTHRECORDS_FUZZ_RANDOM") == "1"
PROBLEM = "application/problem+json"
FHIR_JSON = "application/fhir+json"


def errors_are_problem_documents(
    ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    body = response.json()
    if case.path.startswith("/fhir"):
        # The FHIR view answers its errors as FHIR does, with the same statuses.
        assert content_type.startswith(FHIR_JSON), f"{response.status_code} as {content_type!r}"
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"]
        assert all(i["severity"] == "error" for i in body["issue"])
        return None
    assert content_type.startswith(PROBLEM), f"{response.status_code} as {content_type!r}"
    assert body["status"] == response.status_code
    assert {"type", "title", "detail"} <= body.keys()
    return None


# Invalid input may also be refused for its size (413): that is a rejection too.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}}
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    errors_are_problem_documents,
]


def fuzz(schema: Any, headers: dict[str, str]) -> list[str]:
    """Run every operation, both valid and invalid data; returns the failures found."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        # The token is fixed at generation, so negative cases never "remove"
        # a header that the call would then put back.
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE, headers=headers or None),
            operation.as_strategy(GenerationMode.NEGATIVE, headers=headers or None),
        )

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=not RANDOM,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS, timeout=30)

        try:
            run()
        except Exception as exc:
            # Generated bodies can be huge: the gist and the repro line suffice.
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    return failures


@pytest.mark.parametrize("role", ["anonymous", "patient", "doctor", "admin"])
def test_every_operation_answers_what_the_schema_declares(
    role: str, fuzz_server: ApiServer, fuzz_users: dict[str, SeededUser]
) -> None:
    schema = schemathesis.openapi.from_url(
        f"{fuzz_server.base_url}/schema/openapi.json", config=CONFIG
    )
    headers = fuzz_users[role].headers if role in fuzz_users else {}
    failures = fuzz(schema, headers)
    assert not failures, "\n\n".join(failures)

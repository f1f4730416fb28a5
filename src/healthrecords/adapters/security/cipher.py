# SKELETON: to be implemented by the owner of encryption at rest.
from typing import Any


class FieldCipher:
    def __init__(self, *args: Any) -> None:
        self._args = args

# SKELETON: to be implemented by the owner of this concept.
from typing import Any


class MemoryAnnotationRepository:
    def __init__(self, *args: Any) -> None:
        self._args = args

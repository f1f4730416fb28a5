"""Sockets per client address in this process: a cap on open ones and a
lower one on those not yet authenticated, so one address cannot hold the
process's file descriptors while others log in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from healthrecords.entrypoints.http.sockets.limits import Slots
from healthrecords.entrypoints.http.sockets.protocol import CLOSE_TOO_MANY, SocketClosed


@dataclass(frozen=True, slots=True)
class AddressCaps:
    open: int = 256
    unauthenticated: int = 64


class Admission:
    def __init__(self) -> None:
        self._open: Slots[str] = Slots()
        self._unauthenticated: Slots[str] = Slots()

    @contextmanager
    def admit(self, address: str, caps: AddressCaps) -> Iterator[Admitted]:
        """Holds both slots for the socket's life; `Admitted.authenticated()`
        gives the unauthenticated one back early."""
        if not self._open.take(address, caps.open):
            raise SocketClosed(CLOSE_TOO_MANY, "too many sockets from this address")
        admitted = Admitted(self, address)
        try:
            if not self._unauthenticated.take(address, caps.unauthenticated):
                raise SocketClosed(CLOSE_TOO_MANY, "too many unauthenticated sockets")
            admitted.pending = True
            yield admitted
        finally:
            admitted.authenticated()
            self._open.give_back(address)

    def open(self, address: str) -> int:
        return self._open.held(address)

    def unauthenticated(self, address: str) -> int:
        return self._unauthenticated.held(address)


class Admitted:
    def __init__(self, admission: Admission, address: str) -> None:
        self._admission = admission
        self._address = address
        self.pending = False

    def authenticated(self) -> None:
        if self.pending:
            self.pending = False
            self._admission._unauthenticated.give_back(self._address)

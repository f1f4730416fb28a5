"""Sockets per client address in this process: a cap on open ones and a
lower one on those not yet authenticated, so one address cannot hold the
process's file descriptors while others log in."""

from __future__ import annotations

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

    def admit(self, address: str, caps: AddressCaps) -> Admitted:
        """Holds both slots for the socket's life (a `with` block);
        `Admitted.authenticated()` gives the unauthenticated one back early."""
        return Admitted(self, address, caps)

    def open(self, address: str) -> int:
        return self._open.held(address)

    def unauthenticated(self, address: str) -> int:
        return self._unauthenticated.held(address)


class Admitted:
    # A class, not a generator context manager: one lives as long as its
    # socket, and a suspended generator frame costs several hundred bytes.
    __slots__ = ("_address", "_admission", "_caps", "pending")

    def __init__(self, admission: Admission, address: str, caps: AddressCaps) -> None:
        self._admission = admission
        self._address = address
        self._caps = caps
        self.pending = False

    def __enter__(self) -> Admitted:
        admission, address = self._admission, self._address
        if not admission._open.take(address, self._caps.open):
            raise SocketClosed(CLOSE_TOO_MANY, "too many sockets from this address")
        if not admission._unauthenticated.take(address, self._caps.unauthenticated):
            admission._open.give_back(address)
            raise SocketClosed(CLOSE_TOO_MANY, "too many unauthenticated sockets")
        self.pending = True
        return self

    def __exit__(self, *_: object) -> None:
        self.authenticated()
        self._admission._open.give_back(self._address)

    def authenticated(self) -> None:
        if self.pending:
            self.pending = False
            self._admission._unauthenticated.give_back(self._address)

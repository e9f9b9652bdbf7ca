"""
What the stack-independent carriers, ports and connector ask of the SCTP
stack under them: L{IStack}.

txsctp carries associations on one of two stacks: the kernel's SCTP
(L{txsctp._kernelstack}) or usrsctp in this process over UDP
(C{txsctp._userspace}).  Everything above them -- the carriers
(L{txsctp._basecarrier}), the ports, the connector and the association
transport -- is written once.  A port or connector is given its stack
object when it is made (by L{txsctp._api}), hands it to every carrier it
makes, and reaches the stack only through it:

  - making sockets: listening, accepting, connecting, peeling off;
  - binding a carrier to its socket's batched I/O (L{IStack.attach});
  - readiness: whether a carrier wants to be read or told of room
    (C{startReading} and friends, which L{StackReadiness} forwards);
  - the few queries whose form differs between the stacks.

A stack's sockets also share one API for the rest, which carriers and
ports call directly: C{close()}, C{setLinger(on, seconds)},
C{shutdown(how)}, C{sendMessage(data, eof=, abort=, assocId=)},
C{subscribe(events, on, assocId)}, C{getLocalAddresses(assocId)},
C{getPeerAddresses(assocId)}, C{getStatus(assocId)},
C{getSendBufferSize()}, C{applyTuning(tuning)} and C{fileno()} (-1 where
the stack has no file descriptor per socket).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Sequence, Tuple, Union

from zope.interface import Attribute, Interface

if TYPE_CHECKING:
    from txsctp._addresses import HostPort
    from txsctp._assocoptions import AssociationOptions
    from txsctp.address import SCTPAddress
    from txsctp.options import PeerAddrInfo

__all__ = ["IStack", "StackReadiness"]


class IStack(Interface):
    """
    One port's or connector's SCTP stack.
    """

    name = Attribute("C{'kernel'} or C{'userspace'}.")
    sendBufferHint = Attribute(
        "How to raise the largest message a socket takes, for "
        "C{MessageTooLongError} (C{None}: the kernel's advice)."
    )

    # -- sockets -----------------------------------------------------------

    def listen(interface: Union[str, Sequence[str]], port: int, options: AssociationOptions, style: str,
               backlog: int) -> Any:
        """
        A new socket of C{style}, bound to C{interface} and C{port} and
        listening.

        @raise OSError: or C{ValueError}/C{TypeError} for a bad interface;
            the port reports them as C{CannotListenError}.
        """

    def localPort(sock: Any) -> int:
        """
        The SCTP port C{sock} is bound to.
        """

    def accept(sock: Any) -> Tuple[Any, HostPort]:
        """
        The next association waiting on listening one-to-one C{sock}.

        @return: C{(newSocket, (host, port))}, the peer's address.
        @raise BlockingIOError: none is waiting.
        """

    def connect(sock: Any, addresses: List[HostPort]) -> int:
        """
        Start an association from one-to-many C{sock} to the peer at
        C{addresses} (normalised C{(host, port)} pairs, one port).

        @return: its association id.
        """

    def connectClient(options: AssociationOptions, hosts: Sequence[str], port: int,
                      bindAddresses: List[HostPort]) -> Tuple[Any, int]:
        """
        A new one-to-one socket with C{options}, bound to C{bindAddresses}
        (C{[(host, port)]}, maybe empty), starting an association to
        C{hosts} (IP literals) and C{port}.

        @return: C{(socket, association id)}.
        """

    def peelOff(sock: Any, assocId: int) -> Any:
        """
        A new socket carrying association C{assocId} of one-to-many
        C{sock}.
        """

    def shutdownPeeled(sock: Any) -> None:
        """
        Start the graceful SHUTDOWN of the association on peeled-off
        C{sock}.
        """

    def peerName(sock: Any) -> HostPort:
        """
        C{(host, port)} of the peer of one-to-one C{sock}.

        @raise OSError: not known (no association).
        """

    def socketError(sock: Any) -> int:
        """
        The pending error (an errno, 0 for none) of C{sock}.
        """

    # -- carriers ----------------------------------------------------------

    def packParameters(stream: int, ppid: int, flags: int, assocId: int, context: int, prPolicy: int,
                       prValue: int) -> bytes:
        """
        L{ICarrier.packParameters<txsctp._carrier.ICarrier.packParameters>}
        for this stack.
        """

    def attach(carrier: Any, sock: Any) -> None:
        """
        Bind C{carrier}'s I/O primitives to C{sock} (see
        L{txsctp._basecarrier}): C{_fd}, C{_receive}, C{_receiveSource},
        C{_parseNotification}, C{_sendOne}, C{_lastSendError},
        C{_sendMany}, C{_sendSpecial}.
        """

    def startReading(descriptor: Any) -> None:
        """
        Have C{descriptor}'s C{doRead} called when its socket has something
        to read.
        """

    def stopReading(descriptor: Any) -> None:
        """
        Stop calling C{descriptor}'s C{doRead}.
        """

    def startWriting(descriptor: Any) -> None:
        """
        Have C{descriptor}'s C{doWrite} called when its socket has room.
        """

    def stopWriting(descriptor: Any) -> None:
        """
        Stop calling C{descriptor}'s C{doWrite}.
        """

    # -- queries whose form differs --------------------------------------

    def addressFamily(sock: Any) -> int:
        """
        The address family of C{sock}'s peers (C{AF_INET} or C{AF_INET6}).
        """

    def pathState(sock: Any, address: HostPort, assocId: int) -> PeerAddrInfo:
        """
        The L{txsctp.options.PeerAddrInfo} of peer C{address} of the
        association.
        """

    def localAddress(sock: Any, assocId: int) -> SCTPAddress:
        """
        The L{SCTPAddress<txsctp.address.SCTPAddress>} of this end: of the
        socket (C{assocId} 0 on a listening or one-to-one socket) or of one
        association.
        """

    def peerAddress(sock: Any, assocId: int) -> SCTPAddress:
        """
        The L{SCTPAddress<txsctp.address.SCTPAddress>} of the peer of the
        association, read now.

        @raise OSError: the association is gone (or C{ValueError}).
        """

    def setPrimaryAddress(sock: Any, address: HostPort, assocId: int) -> None:
        """
        Send to peer C{address} of the association by default.

        @raise OSError: C{address} is not one of the peer's.
        """


class StackReadiness:
    """
    C{startReading}, C{stopReading}, C{startWriting} and C{stopWriting} of
    a descriptor (a carrier or a listening port), forwarded to its stack:
    the kernel's registers the descriptor with the reactor, the userspace
    stack calls it from its own dispatch.  Mix in before
    C{abstract.FileDescriptor}.
    """

    _stack: Any

    def startReading(self) -> None:
        self._stack.startReading(self)

    def stopReading(self) -> None:
        self._stack.stopReading(self)

    def startWriting(self) -> None:
        self._stack.startWriting(self)

    def stopWriting(self) -> None:
        self._stack.stopWriting(self)

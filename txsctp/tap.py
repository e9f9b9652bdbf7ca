"""
C{twistd sctp-echo}: the reference SCTP echo server.

Every message that arrives is sent back on the same association, on the
same stream, with the same PPID and the same unordered flag, so it serves
as the peer for interop checks and for L{txsctp.probe}::

    twistd -n sctp-echo                      # sctp:2905, every address
    twistd -n sctp-echo --listen sctp:2905:interface=10.0.0.1,10.0.1.1
    twistd -n sctp-echo --listen "sctp:2905:style=one-to-many:outStreams=64:inStreams=64"
    twistd -n sctp-echo --listen "sctp:2905:interface=\\:\\:1" --listen tcp:2905

Any server endpoint description works (C{--listen} may be repeated; a
byte-stream endpoint such as C{tcp:} echoes bytes as they come).
Association events (up, restart, path changes, shutdown, abort, send
failures, peer errors) are logged with L{twisted.logger}; C{--verbose} also
logs every message.

Robustness: a message that cannot be echoed (a stream beyond what the peer
accepts, a full write queue, an association that is closing) is logged and
dropped; an exception in the handling of one association never reaches the
listening port, so one bad peer cannot stop the service.  While an
association's write queue is full the server stops reading from it (the
transport registers as its own producer), so a peer that sends without
reading slows itself down rather than the server's memory growing.
"""

from __future__ import annotations

from typing import List

from twisted.application import service, strports
from twisted.internet.protocol import Factory, connectionDone
from twisted.logger import Logger
from twisted.python import usage
from twisted.python.failure import Failure

from txsctp.info import RcvInfo
from txsctp.notifications import AssociationChange, PeerAddressChange, RemoteError, SendFailed, Shutdown
from txsctp.protocol import SCTPProtocol

__all__ = ["Options", "makeService", "EchoProtocol", "EchoFactory"]

DEFAULT_LISTEN = "sctp:2905"


class Options(usage.Options):
    """
    Command line options of C{twistd sctp-echo}.
    """

    synopsis = "[--listen DESCRIPTION ...] [--verbose]"
    longdesc = (
        "An SCTP echo server: each message is sent back on its association, "
        "stream, PPID and ordering. --listen takes any Twisted server "
        "endpoint description (default: %s), for example "
        "sctp:2905:interface=127.0.0.1,127.0.0.2:style=one-to-many." % (DEFAULT_LISTEN,)
    )
    optFlags = [
        ["verbose", "v", "Log every message echoed (stream, PPID, size)."],
    ]

    def __init__(self) -> None:
        usage.Options.__init__(self)
        self["listen"] = []

    def opt_listen(self, description: str) -> None:
        """
        Listen on this endpoint description (repeatable) [default: sctp:2905].
        """
        self["listen"].append(description)

    opt_l = opt_listen

    def postOptions(self) -> None:
        if not self["listen"]:
            self["listen"] = [DEFAULT_LISTEN]
        from txsctp._parser import parseServerDescription

        for description in self["listen"]:
            if description.split(":", 1)[0].lower() != "sctp":
                continue
            try:
                parseServerDescription(description)
            except ValueError as e:
                raise usage.UsageError(f"--listen {description!r}: {e}") from None


class EchoProtocol(SCTPProtocol):
    """
    Echoes each message on its own association, stream, PPID and ordering.

    @ivar messages: messages echoed so far.
    @ivar octets: bytes echoed so far.
    @ivar dropped: messages that could not be echoed.
    """

    _log = Logger()
    messages = 0
    octets = 0
    dropped = 0

    def _describe(self) -> dict:
        transport = self.transport
        fields: dict = {"assocId": getattr(transport, "assocId", None)}
        try:
            fields["peer"] = str(transport.getPeer())
        except Exception:
            fields["peer"] = "?"
        return fields

    def connectionMade(self) -> None:
        transport = self.transport
        self._fields = self._describe()
        self._log.info(
            "association {assocId} up with {peer} ({outbound} outbound / "
            "{inbound} inbound streams)",
            outbound=getattr(transport, "outboundStreams", "?"),
            inbound=getattr(transport, "inboundStreams", "?"),
            **self._fields,
        )
        try:
            # Stop reading from this association while its write queue is
            # over the high-water mark: the classic echo back-pressure.
            transport.registerProducer(transport, True)
        except Exception:
            self._log.failure("could not register the transport as its own producer")
        if self.factory is not None:
            self.factory.associationStarted(self)

    def messageReceived(self, data: bytes, info: RcvInfo) -> None:
        try:
            self.transport.writeMessage(
                data, stream=info.stream, ppid=info.ppid, unordered=info.unordered
            )
        except Exception as e:
            self.dropped += 1
            self._log.warn(
                "association {assocId}: message of {size} bytes on stream "
                "{stream} (ppid {ppid}) not echoed: {error}",
                size=len(data), stream=info.stream, ppid=info.ppid, error=e,
                **self._fields,
            )
            return
        self.messages += 1
        self.octets += len(data)
        if self.factory is not None and self.factory.verbose:
            self._log.info(
                "association {assocId}: echoed {size} bytes on stream {stream} "
                "(ppid {ppid}{unordered})",
                size=len(data), stream=info.stream, ppid=info.ppid,
                unordered=", unordered" if info.unordered else "",
                **self._fields,
            )

    def dataReceived(self, data: bytes) -> None:
        # Byte-stream endpoints (tcp:, unix:) in the same service.
        try:
            self.transport.write(data)
        except Exception:
            self._log.failure("echo failed")

    def associationRestarted(self, notification: AssociationChange) -> None:
        self._log.warn(
            "association {assocId} with {peer} restarted by the peer "
            "({outbound} outbound / {inbound} inbound streams)",
            outbound=notification.outboundStreams,
            inbound=notification.inboundStreams,
            **self._fields,
        )

    def associationLost(self, notification: AssociationChange) -> None:
        self._log.warn(
            "association {assocId} with {peer} lost (error {error})",
            error=notification.error, **self._fields,
        )

    def peerAddressChanged(self, notification: PeerAddressChange) -> None:
        state = notification.state
        self._log.info(
            "association {assocId}: peer address {address} is now {state} "
            "(error {error})",
            address=notification.address,
            state=getattr(state, "name", state),
            error=notification.error,
            **self._fields,
        )

    def shutdownReceived(self, notification: Shutdown) -> None:
        self._log.info("association {assocId}: peer is shutting down", **self._fields)

    def sendFailed(self, notification: SendFailed) -> None:
        self.dropped += 1
        self._log.warn(
            "association {assocId}: echo of {size} bytes on stream {stream} "
            "(ppid {ppid}) not delivered: error {error}",
            size=len(notification.data), stream=notification.stream,
            ppid=notification.ppid, error=notification.error, **self._fields,
        )

    def remoteErrorReceived(self, notification: RemoteError) -> None:
        self._log.warn(
            "association {assocId}: peer reported error cause {cause}",
            cause=notification.error, **self._fields,
        )

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        fields = getattr(self, "_fields", None) or {"assocId": None, "peer": "?"}
        self._log.info(
            "association {assocId} with {peer} closed after {messages} "
            "messages ({octets} bytes, {dropped} dropped): {reason}",
            messages=self.messages, octets=self.octets, dropped=self.dropped,
            reason=reason.getErrorMessage(), **fields,
        )
        if self.factory is not None:
            self.factory.associationEnded(self)


class EchoFactory(Factory):
    """
    Builds L{EchoProtocol}s and counts associations.

    @ivar verbose: log every message.
    @ivar active: the protocols of associations currently up.
    @ivar total: associations accepted since start.
    """

    protocol = EchoProtocol

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose
        self.active: List[EchoProtocol] = []
        self.total = 0

    def associationStarted(self, protocol: EchoProtocol) -> None:
        self.total += 1
        self.active.append(protocol)

    def associationEnded(self, protocol: EchoProtocol) -> None:
        if protocol in self.active:
            self.active.remove(protocol)


class _EchoService(service.MultiService):
    """
    The C{sctp-echo} service: one listening service per C{--listen}
    description.

    @ivar factory: the L{EchoFactory} they share.
    """

    factory: EchoFactory


def makeService(config: Options) -> service.MultiService:
    """
    Build the C{sctp-echo} service: one listening service per C{--listen}
    description, all with the same L{EchoFactory}.
    """
    top = _EchoService()
    factory = EchoFactory(verbose=bool(config["verbose"]))
    top.factory = factory
    for description in config["listen"]:
        strports.service(description, factory).setServiceParent(top)
    return top

"""
Twisted plugin dropin: reactors with SCTP, for C{twistd --reactor NAME}
(C{twistd --help-reactors} lists them).

Each is one of Twisted's reactors providing
L{txsctp.interfaces.IReactorSCTP} (C{reactor.listenSCTP},
C{reactor.connectSCTP}); see L{txsctp.reactors}.  A C{Reactor} only names
its module: nothing is imported until twistd installs one.
"""

from twisted.application.reactors import Reactor

sctp = Reactor(
    "sctp",
    "txsctp.reactors.default",
    "The default reactor (epoll, else poll) with SCTP: reactor.listenSCTP/connectSCTP.",
)
sctpEpoll = Reactor(
    "sctp-epoll",
    "txsctp.reactors.epollreactor",
    "epoll(7) based reactor with SCTP: reactor.listenSCTP/connectSCTP.",
)
sctpPoll = Reactor(
    "sctp-poll",
    "txsctp.reactors.pollreactor",
    "poll(2) based reactor with SCTP: reactor.listenSCTP/connectSCTP.",
)
sctpSelect = Reactor(
    "sctp-select",
    "txsctp.reactors.selectreactor",
    "select(2) based reactor with SCTP: reactor.listenSCTP/connectSCTP.",
)
sctpAsyncio = Reactor(
    "sctp-asyncio",
    "txsctp.reactors.asyncioreactor",
    "asyncio based reactor with SCTP: reactor.listenSCTP/connectSCTP.",
)

"""
Reactors that provide L{txsctp.interfaces.IReactorSCTP}: Twisted's own
reactors with C{listenSCTP} and C{connectSCTP} methods, as C{listenTCP}
and C{connectTCP} are methods of every reactor.

Each module here holds one such reactor and an C{install()} function, as
Twisted's reactor modules do, and twistd knows them by name through the
dropin C{twisted/plugins/txsctp_reactors.py}::

    twistd --reactor sctp-epoll -n sctp-echo --listen sctp:2905

or, in a program, before anything imports the global reactor::

    from txsctp.reactors import epollreactor
    epollreactor.install()

    from twisted.internet import reactor
    port = reactor.listenSCTP(2905, factory)

  - L{txsctp.reactors.default}: C{sctp}, epoll where the platform has it,
    else poll;
  - L{txsctp.reactors.epollreactor}: C{sctp-epoll};
  - L{txsctp.reactors.pollreactor}: C{sctp-poll};
  - L{txsctp.reactors.selectreactor}: C{sctp-select};
  - L{txsctp.reactors.asyncioreactor}: C{sctp-asyncio}, on an asyncio
    event loop.

None of them is needed to use SCTP: L{txsctp.listenSCTP} and
L{txsctp.connectSCTP} work with any reactor.  They are for code written
against the reactor's interfaces (C{IReactorSCTP(reactor).listenSCTP(...)})
and for choosing the reactor from twistd's command line.
"""

from txsctp.reactors._mixin import SCTPReactorMixin

__all__ = ["SCTPReactorMixin"]

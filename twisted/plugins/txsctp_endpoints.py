"""
Twisted plugin dropin: the C{sctp:} endpoint description parsers for
C{serverFromString} and C{clientFromString}.

Twisted imports every dropin when it looks for plugins, so this file only
instantiates the parsers from the light L{txsctp._parser} module: importing
it loads neither the reactor nor txsctp's cffi extension.
"""

from txsctp._parser import SCTPClientParser, SCTPServerParser

sctpServerParser = SCTPServerParser()
sctpClientParser = SCTPClientParser()

"""
C{python -m txsctp check [--json]}: whether and how SCTP can run on this
host (see L{txsctp._check}).
"""

from txsctp._check import main

if __name__ == "__main__":
    raise SystemExit(main())

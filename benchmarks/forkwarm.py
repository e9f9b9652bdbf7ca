"""
Imported once by the benchmark's fork server (harness._forkServer): has
every available contender import what its sides use (its C{warm}), so that
the children forked from it start without importing anything.  A reactor
is not installed here: each child installs its own.
"""

import contenders

for _contender in contenders.load():
    if _contender.warm is None:
        continue
    try:
        if _contender.available()[0]:
            _contender.warm()
    except Exception:  # a child that needs it will say why
        pass

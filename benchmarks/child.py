"""
Run one contender function in this process, reporting on stdout:
``python benchmarks/child.py MODULE FUNC JSON-ARGS`` where JSON-ARGS is
``{"settings": {...}, "args": [...], "kwargs": {...}}``.  Used where the
driver cannot fork (a child under valgrind, see callgrind.py).
"""

import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Out, Settings


def main():
    module, func, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    mod = importlib.import_module(f"contenders.{module}")
    getattr(mod, func)(Out(1), Settings.from_dict(spec["settings"]), *spec.get("args", []),
                       **spec.get("kwargs", {}))


if __name__ == "__main__":
    main()

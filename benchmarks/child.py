"""
Run one side function in this fresh process, reporting on stdout:
``python benchmarks/child.py MODULE FUNCTION JSON`` where JSON is
``{"settings": {...}, "params": {...}}``.  For a side that runs alone under
valgrind or strace (callgrind.py, syscalls.py), where the fork server
cannot be used.
"""

import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Out, Settings


def main():
    module, function, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    mod = importlib.import_module(f"contenders.{module}")
    getattr(mod, function)(Out(1), Settings.from_dict(spec["settings"]), **spec.get("params", {}))


if __name__ == "__main__":
    main()

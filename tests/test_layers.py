"""
The package's layering, read from the source: C{txsctp.testing} builds on
the interfaces and value types, never on the kernel socket layer or the
cffi module below it (so a test double cannot drift into depending on the
kernel it stands in for).
"""

import ast
import os

from _support import REPO

_BELOW_THE_VALUE_TYPES = {
    "txsctp._extension",
    "txsctp._sctp_cffi",
    "txsctp._build",
    "txsctp.sctpsocket",
    "txsctp._batch",
    "txsctp._transport",
    "txsctp._api",
}


def _importedModules(path):
    """
    Every module a source file imports by name (C{import a.b},
    C{from a.b import c}; C{from a import b} also yields C{a.b}).
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_importedModulesSeesEveryForm(tmp_path):
    """
    The import reader finds plain, dotted, from- and nested imports.
    """
    source = tmp_path / "m.py"
    source.write_text("import os\nfrom txsctp import sctpsocket\n"
                      "def f():\n    from txsctp._extension import lib as _lib\n")
    found = _importedModules(str(source))
    assert {"os", "txsctp.sctpsocket", "txsctp._extension"} <= found


def test_testingStaysAboveTheSocketLayer():
    imported = _importedModules(os.path.join(REPO, "txsctp", "testing.py"))
    assert not imported & _BELOW_THE_VALUE_TYPES, sorted(imported & _BELOW_THE_VALUE_TYPES)

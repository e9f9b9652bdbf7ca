"""
The package's layering, read from the source.

Every module of C{txsctp/} belongs to one layer, and imports only from its
own layer or those below (imports under C{if TYPE_CHECKING:} excepted:
they never run).  On top of that:

  - the stack seam: the association transport reaches the stack carrying
    it only through its carrier (L{txsctp._carrier}), and the carriers,
    ports and connector reach theirs only through the stack object they
    are given (L{txsctp._stack}); none of them imports a stack module, and
    neither do Protocols, endpoints, the string parsers, twistd plugins,
    reactors and L{txsctp.testing} -- only L{txsctp._api}, which picks the
    stack, and the stacks themselves know which one carries an
    association;
  - the socket layer imports no Twisted;
  - no module imports the global reactor when it is imported;
  - the twisted/plugins dropins load neither the cffi modules nor a
    reactor;
  - L{txsctp.testing} builds on the interfaces and value types, never on
    a stack (so a test double cannot drift into depending on the kernel
    it stands in for).
"""

import ast
import glob
import os
import subprocess
import sys

import pytest

from _support import REPO

# Lowest first.  A module may import modules of its own layer and below.
LAYERS = [
    ("cffi modules", {
        "txsctp._build", "txsctp._build_socket", "txsctp._build_sctp", "txsctp._build_batch",
        "txsctp._buildenv", "txsctp._extension", "txsctp._sctp_cffi",
        "txsctp._usrsctp_build", "txsctp._usrsctp_build_api", "txsctp._usrsctp_build_stack",
        "txsctp._usrsctp_build_peers", "txsctp._usrsctp_build_packets", "txsctp._usrsctp_build_sockets",
        "txsctp._usrsctp_cffi",
    }),
    ("value types", {
        "txsctp._messageformats", "txsctp._addresses", "txsctp.errors", "txsctp.info",
        "txsctp.options", "txsctp.notifications", "txsctp.address", "txsctp._validate",
        "txsctp._assembly", "txsctp._consumer", "txsctp.interfaces",
    }),
    ("socket layers", {
        "txsctp.sctpsocket", "txsctp._sockopts", "txsctp._batch",
        "txsctp._usrsctp_extension", "txsctp._usrsctp", "txsctp._usrsctp_socket", "txsctp._usrsctp_options",
        "txsctp._usrsctp_values",
    }),
    ("the seams and what every stack shares", {
        "txsctp._carrier", "txsctp._stack", "txsctp._assocoptions", "txsctp._portsupport",
        "txsctp._basecarrier",
    }),
    ("stacks", {
        "txsctp._kernelstack", "txsctp._userspace",
    }),
    ("association transport", {
        "txsctp._transport",
    }),
    ("ports and connectors", {
        "txsctp._onetoone", "txsctp._onetomany", "txsctp._connector",
    }),
    ("listenSCTP, connectSCTP and the Protocol", {
        "txsctp._api", "txsctp.protocol",
    }),
    ("endpoints, parsers, twistd plugins, reactors, clients, test doubles", {
        "txsctp.endpoints", "txsctp._parser", "txsctp.tap", "txsctp.probe", "txsctp.client",
        "txsctp.testing", "txsctp._testing_transport", "txsctp._testing_peer", "txsctp._testing_pump",
        "txsctp.reactors", "txsctp.reactors._mixin", "txsctp.reactors.default",
        "txsctp.reactors.epollreactor", "txsctp.reactors.pollreactor", "txsctp.reactors.selectreactor",
        "txsctp.reactors.asyncioreactor",
    }),
    ("the package facade and the host check", {
        "txsctp", "txsctp.__main__", "txsctp._check",
    }),
]

# Modules that hold one stack's machinery: what the seam keeps everything
# above the transport from knowing about.
STACK_MODULES = {
    "txsctp._build", "txsctp._build_socket", "txsctp._build_sctp", "txsctp._build_batch", "txsctp._buildenv",
    "txsctp._extension", "txsctp._sctp_cffi",
    "txsctp.sctpsocket", "txsctp._sockopts", "txsctp._batch", "txsctp._kernelstack",
    "txsctp._usrsctp_build", "txsctp._usrsctp_extension", "txsctp._usrsctp_cffi", "txsctp._usrsctp",
    "txsctp._usrsctp_socket", "txsctp._usrsctp_options", "txsctp._usrsctp_values", "txsctp._userspace",
    "txsctp._usrsctp_build_api", "txsctp._usrsctp_build_stack", "txsctp._usrsctp_build_peers",
    "txsctp._usrsctp_build_packets", "txsctp._usrsctp_build_sockets",
}

SOCKET_LAYER = {
    "txsctp._build", "txsctp._build_socket", "txsctp._build_sctp", "txsctp._build_batch", "txsctp._buildenv",
    "txsctp._extension", "txsctp._messageformats", "txsctp.sctpsocket", "txsctp._sockopts", "txsctp._batch",
    "txsctp._usrsctp_build", "txsctp._usrsctp_extension", "txsctp._usrsctp", "txsctp._usrsctp_socket",
    "txsctp._usrsctp_options", "txsctp._usrsctp_values",
    "txsctp._usrsctp_build_api", "txsctp._usrsctp_build_stack", "txsctp._usrsctp_build_peers",
    "txsctp._usrsctp_build_packets", "txsctp._usrsctp_build_sockets",
}

# Modules that must not learn which stack carries an association.
STACK_BLIND = {
    "txsctp._carrier", "txsctp._stack", "txsctp._basecarrier", "txsctp._onetoone", "txsctp._onetomany",
    "txsctp._connector", "txsctp._transport", "txsctp.protocol", "txsctp.endpoints", "txsctp._parser", "txsctp.tap",
    "txsctp.probe", "txsctp.client", "txsctp.testing", "txsctp._testing_transport", "txsctp._testing_peer",
    "txsctp._testing_pump", "txsctp.interfaces", "txsctp.reactors", "txsctp.reactors._mixin",
    "txsctp.reactors.default", "txsctp.reactors.epollreactor", "txsctp.reactors.pollreactor",
    "txsctp.reactors.selectreactor", "txsctp.reactors.asyncioreactor",
}


def _layerOf(module):
    for index, (_, modules) in enumerate(LAYERS):
        if module in modules:
            return index
    return None


def _moduleName(path):
    relative = os.path.relpath(path, REPO)[:-len(".py")].replace(os.sep, ".")
    return relative[:-len(".__init__")] if relative.endswith(".__init__") else relative


def _packageModules():
    return {_moduleName(p): p for p in glob.glob(os.path.join(REPO, "txsctp", "**", "*.py"), recursive=True)}


def _dropins():
    return sorted(glob.glob(os.path.join(REPO, "twisted", "plugins", "*.py")))


def _isTypeChecking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _lazyNames():
    """
    What C{txsctp}'s facade imports each of its lazy names from.
    """
    with open(os.path.join(REPO, "txsctp", "__init__.py")) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_LAZY" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("txsctp/__init__.py has no _LAZY table")


def _imports(path, moduleLevelOnly=False):
    """
    Every module a source file imports by name (C{import a.b},
    C{from a.b import c}; C{from a import b} also yields C{a.b}), outside
    C{if TYPE_CHECKING:} blocks; with C{moduleLevelOnly}, only those that
    run when the module is imported (not inside functions).
    """
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = set()

    def visit(node):
        if isinstance(node, ast.If) and _isTypeChecking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if moduleLevelOnly and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _txsctpImports(path, known, lazy):
    """
    The txsctp modules a source file depends on: names taken from the
    facade resolve to the module the facade takes them from.
    """
    modules = set()
    for name in _imports(path):
        if name == "txsctp":
            continue  # "from txsctp import x": x is what counts
        if name.startswith("txsctp.") and name.count(".") == 1 and name[len("txsctp."):] in lazy:
            modules.add(lazy[name[len("txsctp."):]])
        elif name in known or name.startswith(("txsctp._sctp_cffi",)):
            modules.add(name.split(".lib")[0] if name.startswith("txsctp._sctp_cffi") else name)
    return modules


def test_importsSeesEveryForm(tmp_path):
    """
    The import reader finds plain, dotted, from- and nested imports, and
    leaves out what only type checkers import.
    """
    source = tmp_path / "m.py"
    source.write_text(
        "import os\nfrom txsctp import sctpsocket\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from txsctp._transport import SCTPTransport\n"
        "def f():\n    from txsctp._extension import lib as _lib\n"
    )
    found = _imports(str(source))
    assert {"os", "txsctp.sctpsocket", "txsctp._extension"} <= found
    assert "txsctp._transport" not in found
    assert "txsctp._extension" not in _imports(str(source), moduleLevelOnly=True)


def test_everyModuleHasALayer():
    """
    A new module must be given its place in the layering.
    """
    placed = set().union(*(modules for _, modules in LAYERS))
    unplaced = sorted(set(_packageModules()) - placed)
    assert not unplaced, f"give these modules a layer in tests/test_layers.py: {unplaced}"


def test_importsOnlyGoDown():
    known = set(_packageModules()) | {"txsctp._sctp_cffi"}
    lazy = _lazyNames()
    upward = []
    for module, path in sorted(_packageModules().items()):
        mine = _layerOf(module)
        for imported in sorted(_txsctpImports(path, known, lazy)):
            theirs = _layerOf(imported)
            if theirs is not None and theirs > mine:
                upward.append(f"{module} ({LAYERS[mine][0]}) imports {imported} ({LAYERS[theirs][0]})")
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("module", sorted(STACK_BLIND))
def test_stackBlind(module):
    """
    Nothing but L{txsctp._api} and the stacks imports a stack's
    machinery: the rest reaches it through the seams.
    """
    path = _packageModules()[module]
    imported = _txsctpImports(path, set(_packageModules()) | {"txsctp._sctp_cffi"}, _lazyNames())
    assert not imported & STACK_MODULES, sorted(imported & STACK_MODULES)


def test_dropinsAreStackBlind():
    for path in _dropins():
        imported = {m for m in _imports(path) if m.startswith("txsctp")}
        assert not imported & STACK_MODULES, (path, sorted(imported & STACK_MODULES))


def test_transportReachesTheStackThroughTheCarrier():
    """
    The transport's only way to its stack is the carrier seam.
    """
    imported = _imports(_packageModules()["txsctp._transport"])
    assert "txsctp._carrier" in imported


@pytest.mark.parametrize("module", sorted(SOCKET_LAYER))
def test_socketLayerImportsNoTwisted(module):
    imported = _imports(_packageModules()[module])
    assert not {m for m in imported if m.split(".")[0] == "twisted"}


def test_noGlobalReactorAtImport():
    """
    Nothing imports the global reactor when it is imported (it is looked
    up when first needed, so the user can install another first).
    """
    offenders = []
    for path in list(_packageModules().values()) + _dropins():
        names = _imports(path, moduleLevelOnly=True)
        if {"twisted.internet.reactor", "twisted.internet.reactor.reactor"} & names:
            offenders.append(os.path.relpath(path, REPO))
    assert not offenders, offenders


def test_dropinsStayCheap():
    """
    Loading the dropins (what Twisted's plugin scan does) loads no cffi
    module and no reactor.
    """
    code = (
        "import sys, importlib\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module('twisted.plugins.' + name)\n"
        "bad = [m for m in sys.modules if m.startswith(('txsctp._sctp_cffi', 'txsctp._extension'))"
        " or m == 'twisted.internet.reactor']\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    names = [os.path.basename(p)[:-3] for p in _dropins()]
    out = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("module", ["testing", "_testing_transport", "_testing_peer", "_testing_pump"])
def test_testingStaysAboveTheSocketLayer(module):
    below = STACK_MODULES | {"txsctp._transport", "txsctp._api"}
    imported = _imports(os.path.join(REPO, "txsctp", module + ".py"))
    assert not imported & below, sorted(imported & below)

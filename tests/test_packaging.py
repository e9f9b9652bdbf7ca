"""
The built wheel carries the Twisted plugin dropins, and they work once
installed.

A package that moves its build configuration can lose its
C{twisted/plugins} files without any other test noticing (the editable
install and the source tree still have them).  So: build a wheel from a
copy of the source tree (C{pip wheel --no-deps --no-build-isolation}: no
network is needed, and none exists inside the test kernel), check what it
contains, install it into a throwaway virtualenv, and ask Twisted's plugin
system there, in fresh interpreters, for the C{sctp} parsers and the twistd
plugins, checking that plugin discovery loads neither the reactor nor the
cffi extension.

The wheel is built as on a machine without libsctp's headers: an include
directory searched before the system's holds a C{netinet/sctp.h} that
stops the compiler (L{_poisonedIncludes}), so the build succeeds only if
the extension never includes it.  The socket-layer tests then run against
that wheel in its fresh virtualenv.  The build's first step, the check of
the compiler and headers, is tested here too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_TIMEOUT = 600


def _missingBuildRequirements():
    """
    The build-system requirements of pyproject.toml not satisfied by this
    environment (a build without isolation needs them installed).
    """
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = pytest.importorskip("tomli")
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        requires = tomllib.load(f)["build-system"]["requires"]
    missing = []
    for text in requires:
        requirement = Requirement(text)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            missing.append(text)
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            missing.append(f"{text} (installed: {installed})")
    return missing


def _copySource(destination):
    """
    Copy what a wheel is built from (no build products, caches or the
    in-place compiled extension), and leave a dropin.cache among the
    dropins, as running Twisted leaves one, to check it is not shipped.
    """
    ignore = shutil.ignore_patterns(
        "__pycache__", "*.pyc", "*.so", "*.o", "_sctp_cffi.c", "*.egg-info", "build", "dist"
    )
    os.makedirs(destination)
    for name in os.listdir(REPO):
        source = os.path.join(REPO, name)
        if name in ("txsctp", "twisted"):
            shutil.copytree(source, os.path.join(destination, name), ignore=ignore)
        elif name in ("pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in") or name.startswith(
            ("README", "LICENSE", "LICENCE", "COPYING")
        ):
            shutil.copy2(source, destination)
    with open(os.path.join(destination, "twisted", "plugins", "dropin.cache"), "wb") as f:
        f.write(b"stale cache that must not be shipped")


def _poisonedIncludes(directory):
    """
    Make C{directory} an include directory whose C{<netinet/sctp.h>} (the
    header of libsctp-dev, which txsctp must not need) fails the build, and
    return the compiler flag that puts it before the system's headers.
    """
    os.makedirs(os.path.join(directory, "netinet"))
    with open(os.path.join(directory, "netinet", "sctp.h"), "w") as f:
        f.write('#error "txsctp must build without <netinet/sctp.h> (libsctp-dev)"\n')
    return f"-I{directory}"


def _withCFlags(*flags):
    """
    This environment with C{flags} added to C{CFLAGS} (which setuptools
    adds to every compiler command).
    """
    env = dict(os.environ)
    env["CFLAGS"] = " ".join([env.get("CFLAGS", ""), *flags]).strip()
    return env


def _run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT, **kwargs)
    assert result.returncode == 0, (
        f"{argv} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """
    Build the wheel and install it in a throwaway virtualenv; return
    C{(wheelPath, python, sitePackages)}.
    """
    missing = _missingBuildRequirements()
    if missing:
        pytest.skip(
            "the build requirements are not installed in this environment, so "
            f"a wheel cannot be built without network: {', '.join(missing)} "
            "(install them, e.g. through the [test] extra)"
        )
    base = tmp_path_factory.mktemp("packaging")
    source = str(base / "source")
    _copySource(source)
    dist = str(base / "dist")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--no-cache-dir", "-q", "-w", dist, source],
        cwd=str(base), env=_withCFlags(_poisonedIncludes(str(base / "poisoned"))),
    )
    wheels = [n for n in os.listdir(dist) if n.endswith(".whl")]
    assert len(wheels) == 1, wheels

    venv = str(base / "venv")
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = os.path.join(venv, "bin", "python")
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-q", os.path.join(dist, wheels[0])],
        cwd=str(base),
    )
    sitePackages = _run(
        [python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).strip()
    # The dependencies (Twisted, cffi, attrs, zope.interface) come from the
    # test environment: a plain path line in a .pth file, so that this
    # environment's own .pth files (the editable install's finder) are not
    # run there.
    with open(os.path.join(sitePackages, "_txsctp_test_deps.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    return os.path.join(dist, wheels[0]), python, sitePackages


def test_wheelContents(installed):
    wheel, _, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "twisted/plugins/txsctp_endpoints.py" in names
    assert "twisted/plugins/txsctp_twistd.py" in names
    for forbidden in ("twisted/__init__.py", "twisted/plugins/__init__.py"):
        assert forbidden not in names
    assert not [n for n in names if n.endswith("dropin.cache")]
    assert not [n for n in names if n.startswith("twisted/") and not n.startswith("twisted/plugins/txsctp_")]
    assert any(n.startswith("txsctp/_sctp_cffi") and n.endswith(".so") for n in names)
    for module in ("endpoints", "_parser", "tap", "probe", "client"):
        assert f"txsctp/{module}.py" in names


def _inVenv(python, code, cwd):
    """
    Run C{code} in a fresh isolated interpreter of the throwaway venv (not
    from the repository, whose files must not be found) and return its
    JSON output.
    """
    out = _run([python, "-I", "-c", code], cwd=cwd)
    return json.loads(out.strip().splitlines()[-1])


def test_dropinImportIsCheap(installed, tmp_path):
    _, python, sitePackages = installed
    result = _inVenv(python, (
        "import json, sys\n"
        "import twisted.plugins.txsctp_endpoints as e, twisted.plugins.txsctp_twistd as t\n"
        "print(json.dumps({'files': [e.__file__, t.__file__],"
        " 'loaded': [m for m in ('twisted.internet.reactor', 'txsctp._sctp_cffi',"
        " 'txsctp.sctpsocket', 'txsctp.endpoints', 'txsctp.tap', 'txsctp.probe')"
        " if m in sys.modules]}))\n"
    ), str(tmp_path))
    assert result["loaded"] == []
    for path in result["files"]:
        assert path.startswith(sitePackages), path


def test_getPluginsFindsThem(installed, tmp_path):
    _, python, sitePackages = installed
    result = _inVenv(python, (
        "import json, sys\n"
        "from twisted.plugin import getPlugins\n"
        "from twisted.internet import interfaces\n"
        "from twisted.application.service import IServiceMaker\n"
        "servers = [p for p in getPlugins(interfaces.IStreamServerEndpointStringParser)"
        " if p.prefix == 'sctp']\n"
        "clients = [p for p in getPlugins("
        "interfaces.IStreamClientEndpointStringParserWithReactor) if p.prefix == 'sctp']\n"
        "makers = sorted(m.tapname for m in getPlugins(IServiceMaker)"
        " if m.module.startswith('txsctp'))\n"
        "loaded = [m for m in ('twisted.internet.reactor', 'txsctp._sctp_cffi')"
        " if m in sys.modules]\n"
        "from twisted.internet.testing import MemoryReactor\n"
        "from twisted.internet.endpoints import serverFromString, clientFromString\n"
        "import txsctp\n"
        "server = serverFromString(MemoryReactor(), 'sctp:2905:interface=127.0.0.1,127.0.0.2')\n"
        "client = clientFromString(MemoryReactor(), 'sctp:host=127.0.0.1:port=2905')\n"
        "print(json.dumps({'servers': [type(p).__module__ for p in servers],"
        " 'clients': [type(p).__module__ for p in clients], 'makers': makers,"
        " 'loaded': loaded, 'txsctp': txsctp.__file__,"
        " 'endpoints': [type(server).__name__, type(client).__name__]}))\n"
    ), str(tmp_path))
    assert result["servers"] == ["txsctp._parser"]
    assert result["clients"] == ["txsctp._parser"]
    assert result["makers"] == ["sctp-echo", "sctp-probe"]
    assert result["loaded"] == [], "plugin discovery loaded the reactor or the cffi extension"
    assert result["txsctp"].startswith(sitePackages), result["txsctp"]
    assert result["endpoints"] == ["SCTPServerEndpoint", "SCTPClientEndpoint"]


@pytest.mark.skipif(shutil.which("readelf") is None, reason="readelf (binutils) is not installed")
def test_extensionNeedsNoLibsctp(installed, tmp_path):
    """
    The wheel's cffi extension calls the kernel API itself (socket options,
    sendmsg/recvmsg with SCTP control messages): it must not need
    C{libsctp.so} at run time, which hosts with kernel SCTP often lack.
    Only the C library may be listed as needed.
    """
    wheel, _, _ = installed
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.startswith("txsctp/_sctp_cffi") and n.endswith(".so"))
        path = z.extract(name, str(tmp_path))
    out = subprocess.run(["readelf", "-d", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         check=True, timeout=60).stdout.decode()
    needed = [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]
    assert needed, out
    assert not [n for n in needed if "sctp" in n], needed
    assert all(n.startswith(("libc.so", "ld-linux", "libpthread.so")) for n in needed), needed


def test_extensionRecordsItsBuildScript(installed, tmp_path):
    """
    The installed extension was built from the C{_build.py} installed next
    to it: the digest it records is that file's SHA-256, and importing the
    socket layer (which checks it) succeeds.
    """
    _, python, sitePackages = installed
    result = _inVenv(python, (
        "import hashlib, json, os\n"
        "import txsctp.sctpsocket\n"
        "from txsctp._extension import ffi, lib\n"
        "path = os.path.join(os.path.dirname(txsctp.sctpsocket.__file__), '_build.py')\n"
        "print(json.dumps({'built': ffi.string(lib.txsctp_build_digest()).decode(),"
        " 'file': hashlib.sha256(open(path, 'rb').read()).hexdigest(), 'path': path}))\n"
    ), str(tmp_path))
    assert result["path"].startswith(sitePackages), result
    assert result["built"] == result["file"]


def test_staleExtensionRefused(installed, tmp_path):
    """
    A compiled extension next to a build script it was not built from (a
    checkout whose C declarations changed without a rebuild) makes the
    import fail at once with L{ImportError} naming the rebuild command.
    """
    _, python, sitePackages = installed
    stale = tmp_path / "stale"
    shutil.copytree(os.path.join(sitePackages, "txsctp"), stale / "txsctp")
    with open(stale / "txsctp" / "_build.py", "a") as f:
        f.write("\n# a declaration changed here, the extension not rebuilt\n")
    result = _inVenv(python, (
        "import json, sys\n"
        f"sys.path.insert(0, {str(stale)!r})\n"
        "try:\n"
        "    import txsctp.sctpsocket\n"
        "except ImportError as e:\n"
        "    print(json.dumps({'error': str(e), 'file': sys.modules['txsctp'].__file__}))\n"
        "else:\n"
        "    print(json.dumps({'error': None, 'file': sys.modules['txsctp'].__file__}))\n"
    ), str(tmp_path))
    assert result["file"].startswith(str(stale)), result
    assert result["error"] is not None, "a stale extension was imported"
    assert "rebuild" in result["error"] and "_build.py" in result["error"], result["error"]


def test_checkBuild():
    """
    L{txsctp._extension.checkBuild} accepts equal digests and an unknown
    installed one, and refuses different ones.
    """
    from txsctp._extension import checkBuild

    checkBuild("ab" * 32, "ab" * 32)
    checkBuild("ab" * 32, None)
    with pytest.raises(ImportError, match="rebuild"):
        checkBuild("ab" * 32, "cd" * 32)


def test_extensionRecordsEveryBuildInput(installed, tmp_path):
    """
    The installed extension records the SHA-256 of every build input
    installed next to it: the build script and each of its area modules
    (C{_build_*.py}), and no other file.
    """
    _, python, sitePackages = installed
    result = _inVenv(python, (
        "import hashlib, json, os\n"
        "import txsctp\n"
        "from txsctp._extension import recordedInputs\n"
        "d = os.path.dirname(txsctp.__file__)\n"
        "names = [n for n in os.listdir(d) if n.endswith('.py')"
        " and (n == '_build.py' or n.startswith('_build_'))]\n"
        "print(json.dumps({'recorded': recordedInputs(), 'dir': d, 'files': {"
        "n: hashlib.sha256(open(os.path.join(d, n), 'rb').read()).hexdigest() for n in names}}))\n"
    ), str(tmp_path))
    assert result["dir"].startswith(sitePackages), result
    assert "_build.py" in result["recorded"] and len(result["recorded"]) > 1, result
    assert result["recorded"] == result["files"]


@pytest.mark.parametrize("area", ["_build_socket.py", "_build_sctp.py", "_build_batch.py"])
def test_staleAreaRefused(installed, tmp_path, area):
    """
    A change to one of the build script's area modules without a rebuild
    is refused at import as a change to the build script is, naming the
    file.
    """
    _, python, sitePackages = installed
    stale = tmp_path / "stale"
    shutil.copytree(os.path.join(sitePackages, "txsctp"), stale / "txsctp")
    with open(stale / "txsctp" / area, "a") as f:
        f.write("\n# a declaration changed here, the extension not rebuilt\n")
    result = _inVenv(python, (
        "import json, sys\n"
        f"sys.path.insert(0, {str(stale)!r})\n"
        "try:\n"
        "    import txsctp.sctpsocket\n"
        "except ImportError as e:\n"
        "    print(json.dumps({'error': str(e), 'file': sys.modules['txsctp'].__file__}))\n"
        "else:\n"
        "    print(json.dumps({'error': None, 'file': sys.modules['txsctp'].__file__}))\n"
    ), str(tmp_path))
    assert result["file"].startswith(str(stale)), result
    assert result["error"] is not None, "a stale extension was imported"
    assert "rebuild" in result["error"] and area in result["error"], result["error"]


def test_checkBuildInputs(tmp_path):
    """
    L{txsctp._extension.checkBuildInputs} accepts build inputs that match
    the recorded digests or are missing, and refuses a changed one by name.
    """
    import hashlib

    from txsctp._extension import checkBuildInputs

    recorded = {}
    for name in ("_build.py", "_build_a.py", "_build_b.py"):
        (tmp_path / name).write_bytes(name.encode())
        recorded[name] = hashlib.sha256(name.encode()).hexdigest()
    checkBuildInputs(recorded, str(tmp_path))
    (tmp_path / "_build_b.py").unlink()
    checkBuildInputs(recorded, str(tmp_path))
    (tmp_path / "_build_a.py").write_bytes(b"changed")
    with pytest.raises(ImportError, match="rebuild") as caught:
        checkBuildInputs(recorded, str(tmp_path))
    assert "txsctp/_build_a.py" in str(caught.value)



# The usrsctp binding's build inputs: its build script and area modules.
USRSCTP_BUILD_INPUTS = ["_usrsctp_build.py", "_usrsctp_build_api.py", "_usrsctp_build_stack.py",
                        "_usrsctp_build_peers.py", "_usrsctp_build_packets.py", "_usrsctp_build_sockets.py"]


def _wheelHasUsrsctp(wheel):
    return any(n.startswith("txsctp/_usrsctp_cffi") and n.endswith(".so")
               for n in zipfile.ZipFile(wheel).namelist())


def test_usrsctpBindingRecordsEveryBuildInput(installed, tmp_path):
    """
    The installed usrsctp binding records the SHA-256 of every build input
    installed next to it: its build script and each of its area modules
    (C{_usrsctp_build*.py}), and no other file.
    """
    wheel, python, sitePackages = installed
    if not _wheelHasUsrsctp(wheel):
        pytest.skip("the wheel was built without the usrsctp binding (pkg-config finds no usrsctp here)")
    result = _inVenv(python, (
        "import hashlib, json, os\n"
        "import txsctp\n"
        "from txsctp._usrsctp_extension import recordedInputs\n"
        "d = os.path.dirname(txsctp.__file__)\n"
        "names = [n for n in os.listdir(d) if n.endswith('.py') and n.startswith('_usrsctp_build')]\n"
        "print(json.dumps({'recorded': recordedInputs(), 'dir': d, 'files': {"
        "n: hashlib.sha256(open(os.path.join(d, n), 'rb').read()).hexdigest() for n in names}}))\n"
    ), str(tmp_path))
    assert result["dir"].startswith(sitePackages), result
    assert sorted(result["recorded"]) == sorted(USRSCTP_BUILD_INPUTS), result
    assert result["recorded"] == result["files"]


@pytest.mark.parametrize("name", USRSCTP_BUILD_INPUTS)
def test_staleUsrsctpBuildInputRefused(installed, tmp_path, name):
    """
    A change to the usrsctp binding's build script or to one of its area
    modules without a rebuild is refused at import, naming the file.
    """
    wheel, python, sitePackages = installed
    if not _wheelHasUsrsctp(wheel):
        pytest.skip("the wheel was built without the usrsctp binding (pkg-config finds no usrsctp here)")
    stale = tmp_path / "stale"
    shutil.copytree(os.path.join(sitePackages, "txsctp"), stale / "txsctp")
    with open(stale / "txsctp" / name, "a") as f:
        f.write("\n# a declaration changed here, the binding not rebuilt\n")
    result = _inVenv(python, (
        "import json, sys\n"
        f"sys.path.insert(0, {str(stale)!r})\n"
        "try:\n"
        "    import txsctp._usrsctp\n"
        "except ImportError as e:\n"
        "    print(json.dumps({'error': str(e), 'file': sys.modules['txsctp'].__file__}))\n"
        "else:\n"
        "    print(json.dumps({'error': None, 'file': sys.modules['txsctp'].__file__}))\n"
    ), str(tmp_path))
    assert result["file"].startswith(str(stale)), result
    assert result["error"] is not None, "a stale usrsctp binding was imported"
    assert "rebuild" in result["error"] and f"txsctp/{name} " in result["error"], result["error"]


def test_usrsctpCheckBuildInputs(tmp_path):
    """
    L{txsctp._usrsctp_extension.checkBuildInputs} accepts build inputs that
    match the recorded digests or are missing, and refuses a changed one by
    name.
    """
    import hashlib

    from txsctp.errors import UserspaceStackUnavailableError

    try:
        from txsctp._usrsctp_extension import checkBuild, checkBuildInputs
    except UserspaceStackUnavailableError as e:
        pytest.skip(f"txsctp was built without the usrsctp binding: {e}")
    checkBuild("ab" * 32, "ab" * 32)
    checkBuild("ab" * 32, None)
    with pytest.raises(ImportError, match="rebuild"):
        checkBuild("ab" * 32, "cd" * 32)
    recorded = {}
    for name in ("_usrsctp_build.py", "_usrsctp_build_a.py", "_usrsctp_build_b.py"):
        (tmp_path / name).write_bytes(name.encode())
        recorded[name] = hashlib.sha256(name.encode()).hexdigest()
    checkBuildInputs(recorded, str(tmp_path))
    (tmp_path / "_usrsctp_build_b.py").unlink()
    checkBuildInputs(recorded, str(tmp_path))
    (tmp_path / "_usrsctp_build_a.py").write_bytes(b"changed")
    with pytest.raises(ImportError, match="rebuild") as caught:
        checkBuildInputs(recorded, str(tmp_path))
    assert "txsctp/_usrsctp_build_a.py" in str(caught.value)
    assert "usrsctp binding" in str(caught.value)


# -- built without libsctp's headers; the build's checks -------------------


def test_poisonedHeaderStopsTheCompiler(tmp_path):
    """
    The poisoned C{<netinet/sctp.h>} the wheel is built with does stop a
    compiler that includes it, so the wheel building at all shows that
    the extension never does.
    """
    compiler = _compiler()
    flag = _poisonedIncludes(str(tmp_path / "poisoned"))
    source = tmp_path / "uses_libsctp.c"
    source.write_text("#include <sys/socket.h>\n#include <netinet/sctp.h>\n")
    result = subprocess.run([*compiler, flag, "-fsyntax-only", str(source)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "must build without <netinet/sctp.h>" in result.stderr, result.stderr


def _compiler():
    """
    The C compiler command a build uses (Python's configured C{CC}, or the
    C{CC} environment variable), or a skip saying why there is none.
    """
    import shlex

    command = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    if shutil.which(command[0]) is None:
        pytest.skip(f"no C compiler here ({command[0]!r} not found): nothing to build with")
    return command


def _pythonIncludes():
    paths = sysconfig.get_paths()
    return sorted({paths["include"], paths["platinclude"]})


def _generatedSource(tmp_path):
    """
    The extension's C source, as the build generates it from this
    checkout's build script.
    """
    import runpy

    path = tmp_path / "_sctp_cffi.c"
    builder = runpy.run_path(os.path.join(REPO, "txsctp", "_build.py"), run_name="__cffi__")["ffibuilder"]
    builder.emit_c_code(str(path))
    return str(path)


def _systemIncludeDirs(compiler):
    """
    The compiler's default include directories, split into its own
    (C{stddef.h} and the like) and the system's (C library and kernel).
    """
    out = subprocess.run([*compiler, "-xc", "-E", "-v", os.devnull], capture_output=True,
                         text=True, timeout=60).stderr.splitlines()
    try:
        start = out.index("#include <...> search starts here:") + 1
        end = out.index("End of search list.")
    except ValueError:
        pytest.skip(f"cannot read {compiler[0]}'s include directories from its -v output")
    dirs = [line.strip() for line in out[start:end]]
    own = [d for d in dirs if "/gcc/" in d or "/clang/" in d]
    return own, [d for d in dirs if d not in own]


def _withoutKernelHeaders(compiler, directory):
    """
    Compiler flags that hide the kernel headers (what linux-libc-dev or
    kernel-headers install: C{linux/}, C{asm/}, C{asm-generic/}) and
    nothing else: the default include directories are replaced by copies
    made of links to everything else in them.
    """
    own, system = _systemIncludeDirs(compiler)
    flags = ["-nostdinc"] + [f"-isystem{d}" for d in own]
    for i, d in enumerate(system):
        mirror = os.path.join(directory, str(i))
        os.makedirs(mirror)
        for name in os.listdir(d) if os.path.isdir(d) else ():
            if name not in ("linux", "asm", "asm-generic"):
                os.symlink(os.path.join(d, name), os.path.join(mirror, name))
        flags.append(f"-isystem{mirror}")
    return flags


def _assertSaysWhatToInstall(message, debian, fedora):
    assert f"sudo apt-get install {debian}" in message, message
    assert f"sudo dnf install {fedora}" in message, message
    assert message.startswith("txsctp cannot build its C extension: "), message


def test_buildCheckPasses(tmp_path):
    """
    Here (a compiler, Python's headers, the C library's and the kernel's)
    the check of the build environment passes on the extension's source,
    with libsctp's header poisoned as in the wheel's build.
    """
    from txsctp._buildenv import checkBuildEnvironment

    compiler = _compiler() + [_poisonedIncludes(str(tmp_path / "poisoned"))]
    checkBuildEnvironment(compiler, _pythonIncludes(), _generatedSource(tmp_path))


def test_buildCheckNamesMissingCompiler(tmp_path):
    from txsctp._buildenv import BuildEnvironmentError, checkBuildEnvironment

    with pytest.raises(BuildEnvironmentError) as caught:
        checkBuildEnvironment([str(tmp_path / "no-such-cc"), "-O2"], _pythonIncludes(),
                              str(tmp_path / "unused.c"))
    assert caught.value.missing == "compiler"
    _assertSaysWhatToInstall(str(caught.value), "gcc", "gcc")
    assert "no-such-cc" in str(caught.value)


def test_buildCheckNamesMissingPythonHeaders(tmp_path):
    """
    An include path without C{Python.h} (an empty directory) is reported
    as missing Python headers.
    """
    from txsctp._buildenv import BuildEnvironmentError, checkBuildEnvironment

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildEnvironmentError) as caught:
        checkBuildEnvironment(_compiler(), [str(empty)], _generatedSource(tmp_path))
    assert caught.value.missing == "python"
    _assertSaysWhatToInstall(str(caught.value), "python3-dev", "python3-devel")


def test_buildCheckNamesMissingCHeaders(tmp_path):
    """
    With only the compiler's own include directory (no C library headers),
    the check names the C library's development package.
    """
    from txsctp._buildenv import BuildEnvironmentError, checkBuildEnvironment

    compiler = _compiler()
    own, _system = _systemIncludeDirs(compiler)
    flags = ["-nostdinc"] + [f"-isystem{d}" for d in own]
    with pytest.raises(BuildEnvironmentError) as caught:
        checkBuildEnvironment(compiler + flags, _pythonIncludes(), _generatedSource(tmp_path))
    assert caught.value.missing == "libc", str(caught.value)
    _assertSaysWhatToInstall(str(caught.value), "libc6-dev", "glibc-devel")


def test_buildCheckNamesMissingKernelHeaders(tmp_path):
    """
    With every system header but the kernel's, the check names the kernel
    headers' package.
    """
    from txsctp._buildenv import BuildEnvironmentError, checkBuildEnvironment

    compiler = _compiler()
    flags = _withoutKernelHeaders(compiler, str(tmp_path / "includes"))
    with pytest.raises(BuildEnvironmentError) as caught:
        checkBuildEnvironment(compiler + flags, _pythonIncludes(), _generatedSource(tmp_path))
    assert caught.value.missing == "kernel", str(caught.value)
    _assertSaysWhatToInstall(str(caught.value), "linux-libc-dev", "kernel-headers")


def test_buildCheckNamesOldKernelHeaders(tmp_path):
    """
    Kernel headers that lack something txsctp uses (here a copy of this
    system's C{<linux/sctp.h>} without C{SCTP_EXPOSE_POTENTIALLY_FAILED_STATE},
    as in headers older than that option) are reported as too old, with
    the compiler's complaint and the package to update.
    """
    import re

    from txsctp._buildenv import BuildEnvironmentError, checkBuildEnvironment

    compiler = _compiler()
    _own, system = _systemIncludeDirs(compiler)
    header = next((os.path.join(d, "linux", "sctp.h") for d in system
                   if os.path.isfile(os.path.join(d, "linux", "sctp.h"))), None)
    if header is None:
        pytest.skip("no <linux/sctp.h> here to make an old copy of")
    with open(header) as f:
        text = f.read()
    old, n = re.subn(r"(?m)^#define SCTP_EXPOSE_POTENTIALLY_FAILED_STATE\b.*$", "", text)
    assert n == 1
    (tmp_path / "old" / "linux").mkdir(parents=True)
    (tmp_path / "old" / "linux" / "sctp.h").write_text(old)
    with pytest.raises(BuildEnvironmentError) as caught:
        checkBuildEnvironment(compiler + [f"-I{tmp_path / 'old'}"], _pythonIncludes(),
                              _generatedSource(tmp_path))
    assert caught.value.missing == "headers", str(caught.value)
    assert "SCTP_EXPOSE_POTENTIALLY_FAILED_STATE" in str(caught.value)
    _assertSaysWhatToInstall(str(caught.value), "linux-libc-dev", "kernel-headers")


def _failedWheelBuild(tmp_path, env):
    """
    Build a wheel of a copy of the source with C{env}, expecting failure;
    return pip's output.
    """
    if _missingBuildRequirements():
        pytest.skip("the build requirements are not installed: see the installed fixture")
    source = str(tmp_path / "source")
    _copySource(source)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--no-cache-dir", "-q", "-w", str(tmp_path / "dist"), source],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    return output


def test_pipBuildReportsMissingCompiler(tmp_path):
    """
    C{pip wheel} (as C{pip install}) without a compiler ends with the
    check's message, not a traceback.
    """
    env = dict(os.environ, CC=str(tmp_path / "no-such-cc"))
    output = _failedWheelBuild(tmp_path, env)
    assert "error: txsctp cannot build its C extension: no C compiler found" in output, output
    _assertSaysWhatToInstall(output[output.index("txsctp cannot build"):], "gcc", "gcc")


def test_pipBuildReportsMissingKernelHeaders(tmp_path):
    """
    C{pip wheel} without the kernel headers ends with the check's message
    naming their package, not a compiler error.
    """
    compiler = _compiler()
    env = _withCFlags(*_withoutKernelHeaders(compiler, str(tmp_path / "includes")))
    output = _failedWheelBuild(tmp_path, env)
    assert "error: txsctp cannot build its C extension: the Linux kernel headers" in output, output
    _assertSaysWhatToInstall(output[output.index("txsctp cannot build"):], "linux-libc-dev",
                             "kernel-headers")


@pytest.mark.kernel
def test_socketLayerTestsPassAgainstTheWheel(installed, tmp_path):
    """
    The wheel built without libsctp's headers, installed in a fresh
    virtualenv, passes the socket-layer tests: they run there in a fresh
    pytest, from a copy of the test directory, against the installed
    package (a test added to the copy checks which one it imports).
    """
    from _support import kernelHasSCTP

    if not kernelHasSCTP():
        pytest.skip("this kernel has no SCTP, which the socket-layer tests need "
                    "(scripts/test runs the suite in one that has)")
    _, python, sitePackages = installed
    tests = tmp_path / "tests"
    shutil.copytree(os.path.join(REPO, "tests"), tests, ignore=shutil.ignore_patterns("__pycache__"))
    (tests / "test_zz_fromTheWheel.py").write_text(
        "import txsctp._extension\n\n\n"
        "def test_fromTheWheel():\n"
        f"    assert txsctp._extension.__file__.startswith({sitePackages!r}), txsctp._extension.__file__\n"
    )
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\ntimeout = 600\ntimeout_method = thread\n")
    files = sorted(str(p) for p in tests.glob("test_socket_*.py"))
    assert len(files) >= 5, files
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
         *files, str(tests / "test_zz_fromTheWheel.py")],
        cwd=str(tmp_path), capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    summary = result.stdout.strip().splitlines()[-1]
    print(f"socket-layer tests against the wheel: {summary}")
    assert " passed" in summary and "failed" not in summary, summary

"""
What a release ships: the source distribution holds the whole project and
builds a working wheel without network; the wheel holds the compiled
module (for the stable ABI, needing nothing newer than the glibc its
documented manylinux tag allows), C{py.typed} and the Twisted dropins,
never a C{dropin.cache}; installed, it works; the version is defined once
and the changelog keeps up with it.

The builds run offline, as they must inside the test kernel: the sdist
through setuptools' own build hook, the wheel from the unpacked sdist with
C{pip wheel --no-build-isolation --no-index}.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile

import pytest

from _support import REPO

BUILD_TIMEOUT = 900
DROPINS = sorted(n for n in os.listdir(os.path.join(REPO, "twisted", "plugins"))
                 if n.startswith("txsctp_") and n.endswith(".py"))
DOCUMENTED_TAG = "manylinux_2_17"
# The platform tag's glibc: no symbol may need a newer version than this.
GLIBC_AT_MOST = (2, 17)


def _sourceVersion():
    """
    C{txsctp.__version__} as written in txsctp/__init__.py.
    """
    with open(os.path.join(REPO, "txsctp", "__init__.py")) as f:
        tree = ast.parse(f.read())
    (value,) = [node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"]]
    return value


def _pyproject():
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = pytest.importorskip("tomli")
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def _missingBuildRequirements():
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    requires = _pyproject()["build-system"]["requires"]
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


_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".uml", "build", "dist", "*.egg-info", "__pycache__", "*.py[co]", "*.so",
    "*.o", "_sctp_cffi.c", ".pytest_cache", ".hypothesis", ".ruff_cache", ".mypy_cache", "_build",
)


def _run(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
                            check=False, **kwargs)
    assert result.returncode == 0, f"{argv} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """
    Build the sdist from a copy of the checkout, and the wheel from the
    unpacked sdist; return C{(sdistPath, wheelPath)}.
    """
    missing = _missingBuildRequirements()
    if missing:
        reason = ("the build requirements are not installed in this environment, so nothing "
                  f"can be built without network: {', '.join(missing)} (the [test] extra has them)")
        print(reason)
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("release")
    source = base / "source"
    shutil.copytree(REPO, source, ignore=_IGNORED)
    # What running Twisted and Python leave behind must not be shipped.
    (source / "twisted" / "plugins" / "dropin.cache").write_bytes(b"stale cache")
    (source / "txsctp" / "__pycache__").mkdir()
    (source / "txsctp" / "__pycache__" / "check.cpython-311.pyc").write_bytes(b"stale")
    dist = base / "dist"
    out = _run([sys.executable, "-c",
                "import sys, setuptools.build_meta as b; print(b.build_sdist(sys.argv[1]))",
                str(dist)], cwd=source)
    sdist = dist / out.strip().splitlines()[-1]
    unpacked = base / "unpacked"
    with tarfile.open(sdist) as tar:
        tar.extractall(unpacked, filter="data")
    (top,) = unpacked.iterdir()
    wheels = base / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--disable-pip-version-check", "--no-cache-dir", "-q", "-w", str(wheels), str(top)],
         cwd=base)
    (wheel,) = wheels.iterdir()
    return sdist, wheel


def _sdistNames(sdist):
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    prefix = names[0].split("/", 1)[0] + "/"
    return {n[len(prefix):] for n in names if n.startswith(prefix)}


def test_sdistHoldsTheProject(release):
    sdist, _ = release
    names = _sdistNames(sdist)
    assert os.path.basename(sdist) == f"txsctp-{_sourceVersion()}.tar.gz"
    for required in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "CHANGELOG.md",
                     "LICENSE", "txsctp/_build.py", "txsctp/py.typed", "txsctp/__main__.py",
                     "docs/index.md", "examples/asyncio_client.py", "tests/conftest.py",
                     "tests/_support.py", "scripts/sctp-run"):
        assert required in names, required
    for dropin in DROPINS:
        assert f"twisted/plugins/{dropin}" in names
    leftovers = [n for n in names if n.endswith(("dropin.cache", ".so", ".pyc", ".o"))
                 or "__pycache__" in n or n.startswith((".git", ".venv", ".uml", "docs/_build"))
                 or n == "txsctp/_sctp_cffi.c"]
    assert leftovers == []


def test_sdistHoldsEveryTrackedFile(release):
    """
    Every file git tracks is in the sdist, but the CI configuration and
    git's own files: the manifest keeps up with new files.
    """
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot list the tracked files")
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=False, timeout=60)
    if tracked.returncode != 0:
        pytest.skip(f"not a git checkout ({tracked.stderr.strip()}): no tracked files to compare")
    sdist, _ = release
    names = _sdistNames(sdist)
    wanted = {n for n in tracked.stdout.splitlines()
              if not n.startswith(".ci/") and n not in (".gitignore",)}
    assert sorted(wanted - names) == []


def test_wheelFromSdistContents(release):
    _, wheel = release
    names = zipfile.ZipFile(wheel).namelist()
    version = _sourceVersion()
    machine = platform.machine()
    assert os.path.basename(wheel) == f"txsctp-{version}-cp39-abi3-linux_{machine}.whl"
    assert [n for n in names if n.startswith("txsctp/_sctp_cffi")] == ["txsctp/_sctp_cffi.abi3.so"]
    assert "txsctp/py.typed" in names
    assert sorted(n.split("/")[-1] for n in names if n.startswith("twisted/")) == DROPINS
    assert not [n for n in names if n.endswith(("dropin.cache", ".pyc"))]
    assert "twisted/__init__.py" not in names and "twisted/plugins/__init__.py" not in names
    assert f"txsctp-{version}.dist-info/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"txsctp-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata
    assert "\nClassifier: Typing :: Typed\n" in metadata


@pytest.mark.skipif(shutil.which("readelf") is None, reason="readelf (binutils) is not installed")
def test_wheelFitsItsDocumentedPlatformTag(release, tmp_path):
    """
    docs/packaging.md says what C{auditwheel show} reports for the wheel:
    manylinux_2_17.  That holds while the extension needs only libc, at
    glibc symbol versions no newer than 2.17.
    """
    _, wheel = release
    with zipfile.ZipFile(wheel) as z:
        path = z.extract("txsctp/_sctp_cffi.abi3.so", str(tmp_path))
    versions = _run(["readelf", "-V", "--wide", path])
    needed = {tuple(map(int, m.split("."))) for m in re.findall(r"Name: GLIBC_([0-9.]+)", versions)}
    assert needed, versions
    assert max(needed) <= GLIBC_AT_MOST, sorted(needed)
    with open(os.path.join(REPO, "docs", "packaging.md")) as f:
        assert f"{DOCUMENTED_TAG}_x86_64" in f.read()


@pytest.fixture(scope="module")
def installed(release, tmp_path_factory):
    """
    The wheel built from the sdist, installed in a throwaway virtualenv
    whose dependencies come from this environment; its python.
    """
    _, wheel = release
    base = tmp_path_factory.mktemp("installed")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = str(venv / "bin" / "python")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "--disable-pip-version-check", "-q", str(wheel)], cwd=str(base))
    sitePackages = _run([python, "-I", "-c",
                         "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    with open(os.path.join(sitePackages, "_txsctp_test_deps.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    return python, sitePackages


def test_installedWheelWorks(installed, tmp_path):
    """
    Installed from the wheel (not the checkout): the compiled module loads,
    the host check runs as a program, Twisted finds the reactor plugins
    and one installs a reactor providing IReactorSCTP.
    """
    python, sitePackages = installed
    out = _run([python, "-I", "-c", (
        "import json, sys\n"
        "import txsctp, txsctp.sctpsocket\n"
        "from twisted.plugin import getPlugins\n"
        "from twisted.application.reactors import IReactorInstaller, installReactor\n"
        "names = sorted(r.shortName for r in getPlugins(IReactorInstaller)"
        " if r.shortName.startswith('sctp'))\n"
        "import twisted.plugins.txsctp_reactors as dropin\n"
        "cheap = not [m for m in ('twisted.internet.reactor', 'txsctp.reactors')"
        " if m in sys.modules]\n"
        "installReactor('sctp-epoll')\n"
        "from twisted.internet import reactor\n"
        "from txsctp.interfaces import IReactorSCTP\n"
        "print(json.dumps({'file': txsctp.__file__, 'version': txsctp.__version__,"
        " 'reactors': names, 'provides': IReactorSCTP.providedBy(reactor), 'cheap': cheap,"
        " 'dropin': dropin.__file__}))\n"
    )], cwd=str(tmp_path))
    result = json.loads(out.strip().splitlines()[-1])
    assert result["file"].startswith(sitePackages)
    assert result["version"] == _sourceVersion()
    assert result["reactors"] == ["sctp", "sctp-asyncio", "sctp-epoll", "sctp-poll", "sctp-select"]
    assert result["provides"] is True
    # Listing the reactors loaded none of them, nor the global reactor.
    assert result["cheap"] is True
    assert result["dropin"].startswith(sitePackages)

    check = subprocess.run([python, "-I", "-m", "txsctp", "check", "--json"], cwd=str(tmp_path),
                           capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(check.stdout)
    assert check.returncode == (0 if report["usable"] else 1), check.stderr
    assert report["txsctp"] == _sourceVersion()


def test_typeCheckersSeeTheAnnotations(installed, tmp_path):
    """
    With C{py.typed} installed, mypy checks a user's program against
    txsctp's annotations instead of skipping it as untyped.  mypy is in
    the test extra: without it this fails rather than skips.
    """
    assert _hasModule("mypy"), "mypy is in the test extra (pip install -e '.[test]'), and is not installed here"
    python, _ = installed
    program = tmp_path / "user.py"
    program.write_text(
        "from txsctp.errors import MessageTooLongError\n"
        "error: MessageTooLongError = MessageTooLongError.largerThanSendBuffer(1, 2)\n"
        "wrong: str = MessageTooLongError.largerThanSendBuffer(1, 2)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--python-executable", python, "--no-incremental",
         "--follow-imports=silent", str(program)],
        capture_output=True, text=True, timeout=600, check=False, cwd=str(tmp_path),
    )
    output = result.stdout + result.stderr
    assert "missing library stubs or py.typed marker" not in output, output
    # The deliberate mistake is found: the annotations were read.
    assert 'user.py:3: error: Incompatible types in assignment' in output, output
    assert "user.py:2:" not in output, output


def _hasModule(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None


# -- the version and the changelog ------------------------------------------------


def test_versionDefinedOnce():
    """
    pyproject.toml reads the version from txsctp.__version__, and nothing
    else in the package or the build files spells it.
    """
    project = _pyproject()
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "txsctp.__version__"}
    version = _sourceVersion()
    spelled = []
    for directory, _, files in os.walk(os.path.join(REPO, "txsctp")):
        for name in files:
            if name.endswith(".py") and name != "__init__.py":
                with open(os.path.join(directory, name)) as f:
                    if re.search(rf"['\"]{re.escape(version)}['\"]", f.read()):
                        spelled.append(name)
    for name in ("setup.py", "docs/conf.py"):
        with open(os.path.join(REPO, name)) as f:
            if version in f.read():
                spelled.append(name)
    assert spelled == []


_HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?$")


def test_changelog():
    """
    CHANGELOG.md in Keep a Changelog's shape: newest first, an Unreleased
    section or dated releases, change types as subheadings; its newest
    release is the package's version (the version is bumped on release).
    """
    with open(os.path.join(REPO, "CHANGELOG.md")) as f:
        lines = f.read().splitlines()
    assert lines[0] == "# Changelog"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings, "no versions in CHANGELOG.md"
    parsed = [_HEADING.match(h) for h in headings]
    assert all(parsed), [h for h, m in zip(headings, parsed) if not m]
    names = [m["name"] for m in parsed]
    assert "Unreleased" not in names[1:], "Unreleased must come first"
    released = [m for m in parsed if m["name"] != "Unreleased"]
    for m in released:
        assert re.fullmatch(r"\d+\.\d+\.\d+", m["name"]) and m["date"], m.group(0)
    assert [m["name"] for m in released] == sorted(
        (m["name"] for m in released), key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    if names[0] != "Unreleased":
        assert names[0] == _sourceVersion(), "the newest release is not the package's version"
    kinds = {line[4:] for line in lines if line.startswith("### ")}
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds

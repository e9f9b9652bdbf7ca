"""
The host check behind C{python -m txsctp check}: can SCTP run here, with
which stack, how large a message can one socket send, and which kernel
settings change SCTP's behaviour -- each with what to do about it.

Everything the check reads from the host goes through L{Host} (files under
a root directory, commands, sockets), so that the logic can be tested
against made-up readings; L{check} turns the readings into a L{Report},
which renders itself as text or JSON.  Nothing here needs a reactor, and
the compiled module is only imported to see whether it loads.
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import os
import platform
import socket
import subprocess
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

import attr

import txsctp

__all__ = ["Finding", "Host", "Measurement", "Report", "check"]

IPPROTO_SCTP = 132
OK, NOTE, WARNING, PROBLEM = "ok", "note", "warning", "problem"

# Larger send buffers are not measured (the check would allocate and queue
# a message of that size); the computed figure is reported instead.
_MEASURE_AT_MOST = 256 << 20

_USERSPACE_MODULE = "txsctp._usrsctp_cffi"
_MODPROBE_DIRS = ("etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d",
                  "lib/modprobe.d", "usr/lib/modprobe.d")


@attr.s(frozen=True, auto_attribs=True)
class Measurement:
    """
    What one socket's send buffer let through, measured on a loopback
    association.

    @ivar requested: the C{SO_SNDBUF} asked for (C{None}: the kernel's
        default buffer).
    @ivar sendBuffer: the effective send buffer the kernel reported.
    @ivar fits: a message of exactly C{sendBuffer} bytes was accepted.
    @ivar refusedAbove: a message one byte larger was refused (EMSGSIZE).
    @ivar error: why it could not be measured (C{None}: it was).
    """

    requested: int | None
    sendBuffer: int = 0
    fits: bool = False
    refusedAbove: bool = False
    error: str | None = None

    @property
    def largest(self) -> int | None:
        """
        The largest message, when the measurement showed it exactly.
        """
        if self.error is None and self.fits and self.refusedAbove:
            return self.sendBuffer
        return None


class Host:
    """
    The host as the check reads it.  Tests replace it (a root directory of
    made-up files, and overridden methods for commands and sockets).

    @ivar root: the directory standing for C{/}.
    """

    def __init__(self, root: str = "/") -> None:
        self.root = root

    def path(self, path: str) -> str:
        """
        Where C{path} (absolute, as on the host) is under L{root}.
        """
        return os.path.join(self.root, path.lstrip("/"))

    def read(self, path: str) -> str | None:
        """
        A file's text, or C{None} where it cannot be read.
        """
        try:
            with open(self.path(path), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return None

    def exists(self, path: str) -> bool:
        return os.path.exists(self.path(path))

    def listDirectory(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(path)))
        except OSError:
            return []

    def sysctl(self, name: str) -> str | None:
        """
        A sysctl's value (whitespace-normalised), or C{None} where this
        kernel has no such setting.
        """
        text = self.read("/proc/sys/" + name.replace(".", "/"))
        return None if text is None else " ".join(text.split())

    def kernelRelease(self) -> str:
        return platform.release()

    def socketError(self, kind: int) -> int | None:
        """
        Open and close an SCTP socket of this kind (C{SOCK_STREAM}: one-to-one,
        C{SOCK_SEQPACKET}: one-to-many).

        @return: the errno it failed with, or C{None} when it worked.
        """
        try:
            socket.socket(socket.AF_INET, kind, IPPROTO_SCTP).close()
        except OSError as e:
            return e.errno if e.errno is not None else -1
        return None

    def run(self, argv: Sequence[str]) -> tuple[int, str] | None:
        """
        Run a command; its status and merged output, or C{None} where it is
        not installed.
        """
        try:
            proc = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.returncode, proc.stdout.strip()

    def importError(self, module: str) -> str | None:
        """
        Import a module.

        @return: why it failed (C{"not built"} where no such module exists),
            or C{None} when it imported.
        """
        try:
            if importlib.util.find_spec(module) is None:
                return "not built"
        except (ImportError, ValueError) as e:
            return str(e)
        try:
            importlib.import_module(module)
        except Exception as e:  # whatever a broken extension raises is the answer
            return f"{type(e).__name__}: {e}"
        return None

    def txsctpSendBufferRequest(self) -> int | None:
        """
        The C{SO_SNDBUF} txsctp's default tuning asks for (needs the
        compiled module); C{None} where it cannot be read.
        """
        try:
            from txsctp.options import DEFAULT_TUNING
        except ImportError:
            return None
        return DEFAULT_TUNING.sendBufferSize

    def measure(self, requested: int | None) -> Measurement:
        """
        Measure the largest message one socket takes, on a loopback
        association: a message one byte larger than the send buffer must
        be refused, one of its size accepted.
        """
        sockets: list[socket.socket] = []
        try:
            server = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP)
            sockets.append(server)
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            client = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_SCTP)
            sockets.append(client)
            # Abort rather than send what is queued when closed.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            if requested is not None:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, requested)
            client.settimeout(10)
            client.connect(server.getsockname())
            accepted, _ = server.accept()
            sockets.append(accepted)
            size = client.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
            if size > _MEASURE_AT_MOST:
                return Measurement(requested, size, error=f"not measured above {_MEASURE_AT_MOST} bytes")
            payload = memoryview(bytes(size + 1))
            try:
                client.send(payload, socket.MSG_DONTWAIT)
                refused = False
            except OSError as e:
                if e.errno != errno.EMSGSIZE:
                    raise
                refused = True
            try:
                fits = client.send(payload[:size], socket.MSG_DONTWAIT) == size
            except OSError as e:
                if e.errno not in (errno.EMSGSIZE, errno.EAGAIN):
                    raise
                fits = False
            return Measurement(requested, size, fits, refused)
        except OSError as e:
            return Measurement(requested, error=f"{type(e).__name__}: {e}")
        finally:
            for s in sockets:
                s.close()


@attr.s(frozen=True, auto_attribs=True)
class Finding:
    """
    One thing the check found.

    @ivar key: a stable name (C{"kernel"}, C{"net.sctp.udp_port"}, ...).
    @ivar section: the heading it is shown under.
    @ivar level: C{"ok"}, C{"note"}, C{"warning"} or C{"problem"}.
    @ivar value: the reading (JSON-compatible).
    @ivar summary: what it means here.
    @ivar advice: what to do about it (empty: nothing).
    @ivar details: further readings, for machines (JSON-compatible).
    @ivar unit: the unit of C{value} (C{"bytes"}, C{"ms"}; empty: none).
    """

    key: str
    section: str
    level: str
    value: Any
    summary: str
    advice: str = ""
    details: dict[str, Any] = attr.ib(factory=dict)
    unit: str = ""


@attr.s(frozen=True, auto_attribs=True)
class Report:
    """
    The check's result.

    @ivar kernelStack: the kernel's SCTP is usable by txsctp.
    @ivar userspaceStack: the userspace stack (usrsctp) is available.
    @ivar largestMessage: C{{"kernelDefault", "txsctpDefault", "hostMax"}}:
        the largest message one socket can send with the kernel's default
        send buffer, with txsctp's default tuning, and at most on this host
        (bytes, or C{None} where unknown); C{"measured"} says whether they
        were measured rather than computed.
    """

    txsctpVersion: str
    pythonVersion: str
    kernelRelease: str
    kernelStack: bool
    userspaceStack: bool
    largestMessage: dict[str, Any]
    findings: list[Finding]

    @property
    def usable(self) -> bool:
        """
        Whether any SCTP stack can be used here.
        """
        return self.kernelStack or self.userspaceStack

    @property
    def exitCode(self) -> int:
        """
        C{0} when a stack is usable, C{1} otherwise.
        """
        return 0 if self.usable else 1

    def toJSON(self) -> dict[str, Any]:
        """
        The report as JSON-compatible data.
        """
        return {
            "txsctp": self.txsctpVersion,
            "python": self.pythonVersion,
            "kernel": self.kernelRelease,
            "usable": self.usable,
            "stacks": {"kernel": self.kernelStack, "userspace": self.userspaceStack},
            "largestMessage": self.largestMessage,
            "findings": [attr.asdict(f) for f in self.findings],
        }

    def toText(self) -> str:
        """
        The report for people: one block per finding, under its section.
        """
        lines = [(f"txsctp {self.txsctpVersion} host check: Linux {self.kernelRelease}, "
                  f"Python {self.pythonVersion}")]
        section = None
        for f in self.findings:
            if f.section != section:
                section = f.section
                lines += ["", section]
            lines.append(f"  [{f.level}] {f.key}: {_text(f.value, f.unit)}")
            lines += _wrap(f.summary, "      ")
            if f.advice:
                lines += _wrap("-> " + f.advice, "      ")
        lines += ["", "Result: " + (
            f"SCTP can run here ({', '.join(self._stackNames())})." if self.usable
            else "no SCTP stack is usable here (exit status 1).")]
        return "\n".join(lines) + "\n"

    def _stackNames(self) -> Iterator[str]:
        if self.kernelStack:
            yield "kernel stack"
        if self.userspaceStack:
            yield "userspace stack"


def _text(value: Any, unit: str) -> str:
    if value is None:
        return "not present"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "bytes":
        return f"{value:,} bytes"
    return f"{value} {unit}" if unit else str(value)


def _wrap(text: str, indent: str) -> list[str]:
    hanging = indent + ("   " if text.startswith("-> ") else "")
    return textwrap.wrap(text, 79, initial_indent=indent, subsequent_indent=hanging,
                         break_on_hyphens=False, break_long_words=False)


# -- the kernel stack ---------------------------------------------------------------


def _moduleFiles(host: Host, release: str) -> tuple[bool, list[str], bool]:
    """
    Whether this kernel's module tree is installed, the sctp module files in
    it, and whether sctp is built into the kernel.
    """
    for base in (f"/lib/modules/{release}", f"/usr/lib/modules/{release}"):
        if not host.exists(base):
            continue
        builtin = any(line.strip().endswith("/sctp.ko")
                      for line in (host.read(base + "/modules.builtin") or "").splitlines())
        files = [base + "/" + line.split(":", 1)[0]
                 for line in (host.read(base + "/modules.dep") or "").splitlines()
                 if line.split(":", 1)[0].rsplit("/", 1)[-1].split(".ko")[0] == "sctp"]
        if not files:
            files = [f"{base}/kernel/net/sctp/{name}" for name in
                     host.listDirectory(base + "/kernel/net/sctp") if name.startswith("sctp.ko")]
        return True, files, builtin
    return False, [], False


def _modprobeConfig(host: Host) -> tuple[list[str], list[str]]:
    """
    Lines of the modprobe configuration that keep sctp from loading:
    C{install sctp /bin/true} (or false) disables it, C{blacklist sctp} stops
    only its automatic loading.  Each as C{"file: line"}.
    """
    disabled, blacklisted = [], []
    for directory in _MODPROBE_DIRS:
        for name in host.listDirectory(directory):
            if not name.endswith(".conf"):
                continue
            path = f"/{directory}/{name}"
            for line in (host.read(path) or "").splitlines():
                words = line.split("#", 1)[0].split()
                if words[:2] == ["install", "sctp"] and len(words) >= 3 and \
                        os.path.basename(words[2]) in ("true", "false"):
                    disabled.append(f"{path}: {line.strip()}")
                elif words[:2] == ["blacklist", "sctp"]:
                    blacklisted.append(f"{path}: {line.strip()}")
    return disabled, blacklisted


def _kernelFindings(host: Host) -> tuple[bool, list[Finding]]:
    release = host.kernelRelease()
    oneToOne = host.socketError(socket.SOCK_STREAM)
    oneToMany = host.socketError(socket.SOCK_SEQPACKET)
    procModules = host.read("/proc/modules")
    loaded = procModules is not None and any(line.split(" ", 1)[0] == "sctp"
                                             for line in procModules.splitlines())
    treeInstalled, files, builtin = _moduleFiles(host, release)
    disabled, blacklisted = _modprobeConfig(host)
    modprobe = host.run(["modprobe", "-n", "-v", "sctp"])
    details: dict[str, Any] = {
        "socket": {"one-to-one": _errnoName(oneToOne), "one-to-many": _errnoName(oneToMany)},
        "moduleLoaded": loaded,
        "modulesSupported": procModules is not None,
        "moduleTreeInstalled": treeInstalled,
        "moduleFiles": files,
        "builtIn": builtin,
        "modprobeDryRun": None if modprobe is None else {"status": modprobe[0], "output": modprobe[1]},
        "disabledBy": disabled,
        "blacklistedBy": blacklisted,
    }
    section = "SCTP stacks"

    if oneToOne is None and oneToMany is None:
        extensionError = host.importError("txsctp.sctpsocket")
        details["extension"] = extensionError or "loads"
        how = ("module sctp is loaded" if loaded else
               "SCTP is built into this kernel" if builtin or procModules is None else
               "SCTP is available")
        if extensionError is not None:
            return False, [Finding(
                "kernel", section, PROBLEM, "not usable by txsctp",
                f"this kernel has SCTP ({how}), but txsctp's compiled module does not load: "
                f"{extensionError}",
                "rebuild txsctp: 'pip install --force-reinstall --no-deps txsctp', or from a "
                "checkout 'pip install --no-build-isolation -e .' (building needs a C compiler, "
                "the Python headers and the kernel headers: Debian/Ubuntu: gcc python3-dev "
                "linux-libc-dev; Fedora/RHEL: gcc python3-devel kernel-headers)",
                details)]
        return True, [Finding(
            "kernel", section, OK, "usable",
            f"SCTP sockets open (one-to-one and one-to-many); {how}.", "", details)]

    failed = oneToOne if oneToOne is not None else oneToMany
    assert failed is not None
    problem = f"socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails with {_errnoName(failed)}"
    if oneToOne is None:
        problem = f"one-to-many SCTP sockets fail with {_errnoName(failed)}"
    container = host.exists("/.dockerenv") or host.exists("/run/.containerenv")
    fallback = ("or use txsctp's userspace stack, or, from a txsctp checkout, run the program "
                "inside its test kernel: scripts/sctp-run -- COMMAND")
    if loaded or failed not in (errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT, errno.EAFNOSUPPORT):
        why = (f"{problem} although module sctp is loaded: a security policy (seccomp, "
               "SELinux, AppArmor) or the container's runtime may forbid SCTP sockets"
               if loaded else f"{problem}: something other than a missing module refuses SCTP")
        advice = "allow SCTP sockets for this program (container runtime or security policy), " + fallback
    elif procModules is None:
        why = (f"{problem}: SCTP is not built into this kernel, and it cannot load modules "
               "(no /proc/modules)")
        advice = "use a kernel built with CONFIG_IP_SCTP (a module or built in), " + fallback
    elif disabled:
        why = f"{problem}: module sctp is disabled by the modprobe configuration ({'; '.join(disabled)})"
        advice = "remove that line, then as root: modprobe sctp; " + fallback
    elif files:
        why = f"{problem}: module sctp is installed ({files[0]}) but not loaded"
        if blacklisted:
            why += f"; it is blacklisted ({'; '.join(blacklisted)}), which stops automatic loading"
        advice = ("as root: modprobe sctp (and, to load it at every boot: "
                  "echo sctp > /etc/modules-load.d/sctp.conf)")
        if container:
            advice += "; inside a container, load it on the host: containers share its kernel"
        advice += "; " + fallback
    elif treeInstalled:
        why = f"{problem}: this kernel's modules are installed, but without sctp"
        advice = (f"install the package with the extra modules (Debian/Ubuntu: "
                  f"linux-modules-extra-{release}; Fedora/RHEL: kernel-modules-extra), "
                  "then as root: modprobe sctp; " + fallback)
    else:
        where = " (this looks like a container, which runs on its host's kernel)" if container else ""
        why = f"{problem}: no modules for kernel {release} are installed here{where}"
        advice = "load sctp on the machine that runs this kernel (as root: modprobe sctp), " + fallback
    return False, [Finding("kernel", section, PROBLEM, "not usable", why + ".", advice, details)]


def _errnoName(number: int | None) -> str | None:
    if number is None:
        return None
    return errno.errorcode.get(number, str(number))


def _userspaceFinding(host: Host, kernelUsable: bool) -> tuple[bool, Finding]:
    error = host.importError(_USERSPACE_MODULE)
    section = "SCTP stacks"
    if error is None:
        return True, Finding("userspace", section, OK, "available",
                             "the userspace stack (usrsctp over UDP) is built and loads.")
    level = NOTE if kernelUsable else PROBLEM
    if error == "not built":
        return False, Finding(
            "userspace", section, level, "not built",
            "txsctp was built without the userspace stack (usrsctp over UDP, for hosts "
            "without kernel SCTP).",
            "not built: install libusrsctp-dev and rebuild (Debian/Ubuntu: apt-get install "
            "libusrsctp-dev, then reinstall txsctp)",
            {"module": _USERSPACE_MODULE})
    return False, Finding(
        "userspace", section, level, "does not load",
        f"the userspace stack is built but does not load: {error}.",
        "install the usrsctp library it was built against (Debian/Ubuntu: libusrsctp2), "
        "or install libusrsctp-dev and rebuild txsctp",
        {"module": _USERSPACE_MODULE, "error": error})


# -- message size and buffers ---------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value.split()[0]) if value else None
    except ValueError:
        return None


def _bufferFindings(host: Host, kernelUsable: bool) -> tuple[dict[str, Any], list[Finding]]:
    section = "Message size and socket buffers"
    wmemMax = _int(host.sysctl("net.core.wmem_max"))
    wmemDefault = _int(host.sysctl("net.core.wmem_default"))
    rmemMax = _int(host.sysctl("net.core.rmem_max"))
    request = host.txsctpSendBufferRequest()
    computed: dict[str, int | None] = {
        "kernelDefault": wmemDefault,
        "txsctpDefault": 2 * min(request, wmemMax) if request and wmemMax else None,
        "hostMax": 2 * wmemMax if wmemMax else None,
    }
    largest: dict[str, Any] = dict(computed, measured=False)
    measurements: dict[str, Any] = {}
    if kernelUsable:
        requests = {"kernelDefault": None, "txsctpDefault": request, "hostMax": wmemMax}
        results = {name: host.measure(req) for name, req in requests.items()
                   if name == "kernelDefault" or req}
        measurements = {name: attr.asdict(m) for name, m in results.items()}
        if results and all(m.largest is not None for m in results.values()):
            largest = {name: m.largest for name, m in results.items()}
            largest.setdefault("txsctpDefault", None)
            largest.setdefault("hostMax", None)
            largest["measured"] = True
    how = ("measured on a loopback association" if largest["measured"] else
           "computed from the sysctls: twice the buffer asked for, at most twice wmem_max")
    parts = []
    if largest["txsctpDefault"] is not None:
        parts.append(f"{largest['txsctpDefault']:,} bytes with txsctp's default tuning "
                     f"(which asks for {request:,})")
    if largest["kernelDefault"] is not None:
        parts.append(f"{largest['kernelDefault']:,} with the kernel's default buffer "
                     "(tuning=None)")
    if largest["hostMax"] is not None:
        parts.append(f"{largest['hostMax']:,} at most (asking for wmem_max or more)")
    summary = ("Linux refuses a message larger than the socket's send buffer (EMSGSIZE). "
               f"The largest message one socket can send here ({how}): " + "; ".join(parts) +
               ".") if parts else "net.core.wmem_max cannot be read here."
    advice = ("for larger messages, as root: sysctl -w net.core.wmem_max=BYTES (half the "
              "largest message wanted), and ask for that buffer: "
              "tuning=Tuning(sendBufferSize=BYTES) or sendBufferSize=BYTES in an endpoint string")
    findings = [Finding("net.core.wmem_max", section, OK if wmemMax else NOTE, wmemMax, summary,
                        advice, {"wmemDefault": wmemDefault, "measurements": measurements},
                        "bytes")]

    receiveRequest = 4 << 20  # what txsctp's default tuning asks for (Tuning.receiveBufferSize)
    if rmemMax is None:
        findings.append(Finding("net.core.rmem_max", section, NOTE, None, "cannot be read here.",
                                unit="bytes"))
    else:
        effective = 2 * min(receiveRequest, rmemMax)
        if rmemMax >= receiveRequest:
            findings.append(Finding(
                "net.core.rmem_max", section, OK, rmemMax,
                f"receive buffers up to {2 * rmemMax:,} bytes; txsctp's default tuning gets "
                f"{effective:,}.", unit="bytes"))
        else:
            findings.append(Finding(
                "net.core.rmem_max", section, NOTE, rmemMax,
                f"caps receive buffers at {2 * rmemMax:,} bytes (txsctp's default tuning asks "
                f"for {receiveRequest:,}); a receiver that falls a buffer behind stalls on "
                "the retransmission timer (rto_min).",
                "for bulk transfers, as root: sysctl -w net.core.rmem_max=16777216 (and "
                "net.core.wmem_max likewise)", unit="bytes"))
    return largest, findings


# -- net.sctp.* -----------------------------------------------------------------------


def _settingFindings(host: Host) -> list[Finding]:
    section = "Kernel SCTP settings (net.sctp.*)"
    if host.sysctl("net.sctp.rto_min") is None:
        return []  # no kernel SCTP: nothing to read
    out = []

    def add(name: str, level: str, value: Any, summary: str, advice: str = "",
            unit: str = "") -> None:
        out.append(Finding(f"net.sctp.{name}", section, level, value, summary, advice, unit=unit))

    udpPort = _int(host.sysctl("net.sctp.udp_port"))
    if udpPort is None:
        add("udp_port", NOTE, None,
            "this kernel (older than 5.11) cannot carry SCTP over UDP (RFC 6951): peers "
            "using the userspace stack cannot reach its SCTP.",
            "use a kernel 5.11 or newer to talk to userspace-stack peers")
    elif udpPort == 0:
        add("udp_port", NOTE, 0,
            "the kernel does not receive SCTP over UDP (RFC 6951): peers using the userspace "
            "stack (usrsctp) cannot reach this host's kernel SCTP.",
            "to accept them, as root: sysctl -w net.sctp.udp_port=9899")
    else:
        add("udp_port", OK, udpPort,
            f"the kernel receives SCTP over UDP on port {udpPort}: userspace-stack peers can "
            "reach it.", "nothing to do; peers reach this host with remoteUdpPort="
            f"{udpPort}")

    encapPort = _int(host.sysctl("net.sctp.encap_port"))
    if encapPort is not None:
        if encapPort == 0:
            add("encap_port", OK, 0,
                "associations use plain SCTP over IP unless one asks for UDP.",
                "nothing to do: to reach a peer over UDP, ask for it on that association "
                "(remoteUdpPort) rather than for every association with this setting")
        else:
            add("encap_port", WARNING, encapPort,
                f"associations are sent inside UDP to port {encapPort} by default: peers that "
                "speak only plain SCTP will not answer.",
                "unless every peer expects UDP, as root: sysctl -w net.sctp.encap_port=0, and "
                "ask for UDP per association (remoteUdpPort)")

    for name, what, perSocket in (
        ("auth_enable", "SCTP-AUTH (RFC 4895: authenticated chunks, shared keys)",
         "per socket: setAssocValue('authSupported', 1) before associations start"),
        ("addip_enable",
         "dynamic address reconfiguration (ASCONF, RFC 5061; it needs SCTP-AUTH too)",
         ("per socket: setAssocValue('asconfSupported', 1) and "
          "setAssocValue('authSupported', 1) on both ends")),
        ("reconf_enable",
         "stream reconfiguration (RFC 6525: stream and association resets, adding streams)",
         "per socket: setAssocValue('reconfigSupported', 1) on both ends"),
        ("intl_enable", "message interleaving (I-DATA, RFC 8260)",
         ("as root, sysctl -w net.sctp.intl_enable=1 (there is no per-socket switch), then "
          "on each socket setFragmentInterleave(2) and "
          "setAssocValue('interleavingSupported', 1)")),
    ):
        value = _int(host.sysctl(f"net.sctp.{name}"))
        if value is None:
            add(name, NOTE, None, f"this kernel has no {what}.",
                "a newer kernel, if a program here needs it")
        elif value:
            add(name, OK, value, f"{what} is on for every new socket.",
                f"nothing to do (as root, sysctl -w net.sctp.{name}=0 turns it off "
                "if no program here needs it)")
        else:
            add(name, OK, 0, f"{what} is off for new sockets.", f"only if you need it: {perSocket}")

    rtoMin = _int(host.sysctl("net.sctp.rto_min"))
    if rtoMin is not None:
        add("rto_min", NOTE if rtoMin >= 1000 else OK, rtoMin,
            f"a lost packet that fast retransmit does not recover is resent after the "
            f"retransmission timeout, never less than {rtoMin} ms (RFC 9260's default, "
            "meant for the Internet).",
            "on a LAN or signalling network, per socket: setRTOInfo(RTOInfo(initial=, min=, "
            "max=)) in prepareSocket (100-400 ms is common), rather than changing the host",
            "ms")
    sackTimeout = _int(host.sysctl("net.sctp.sack_timeout"))
    if sackTimeout is not None:
        add("sack_timeout", NOTE if sackTimeout >= 200 else OK, sackTimeout,
            f"a receiver waits up to {sackTimeout} ms before acknowledging a lone packet; "
            "streams of small messages can stall on it.",
            "per socket: tuning=Tuning(sackFrequency=1) on the receiver acknowledges every "
            "packet (txsctp's default tuning already sets SCTP_NODELAY)", "ms")
    return out


# -- the check --------------------------------------------------------------------


def check(host: Host | None = None) -> Report:
    """
    Check this host (or the given readings).

    @param host: where to read from (default: this machine).
    @return: the report.
    """
    host = host or Host()
    kernelUsable, findings = _kernelFindings(host)
    userspaceUsable, userspace = _userspaceFinding(host, kernelUsable)
    findings.append(userspace)
    largest, buffers = _bufferFindings(host, kernelUsable)
    if host.sysctl("net.core.wmem_max") is not None or kernelUsable:
        findings += buffers
    findings += _settingFindings(host)
    return Report(txsctp.__version__, platform.python_version(), host.kernelRelease(),
                  kernelUsable, userspaceUsable, largest, findings)


def main(argv: Sequence[str] | None = None) -> int:
    """
    C{python -m txsctp check [--json]}.

    @param argv: the arguments (default: C{sys.argv[1:]}).
    @return: the exit status: 0 when an SCTP stack is usable here, 1 when
        none is, 2 for a usage error.
    """
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m txsctp",
                                     description="txsctp's command-line tools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    checker = commands.add_parser(
        "check", help="check whether and how SCTP can run on this host",
        description="Check whether this host can run SCTP (kernel or userspace stack), "
                    "the largest message one socket can send, and the kernel settings that "
                    "change SCTP's behaviour, with what to do about each.  Exit status: 0 "
                    "when a stack is usable, 1 when none is.")
    checker.add_argument("--json", action="store_true", help="print the report as JSON")
    options = parser.parse_args(argv)
    if options.command != "check":
        parser.print_help()
        return 2
    report = check()
    if options.json:
        print(json.dumps(report.toJSON(), indent=2))
    else:
        print(report.toText(), end="")
    return report.exitCode

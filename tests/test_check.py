"""
C{python -m txsctp check}: its logic against made-up hosts (files under a
temporary root, commands and sockets answered by the test), a real run
here, and inside the test kernel the message-size limit it reports checked
against what sends really do -- with L{MessageTooLongError}'s text
pointing at the send buffer and C{net.core.wmem_max}.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest
import pytest_twisted

from twisted.internet import defer, protocol

from _support import REPO, kernelHasSCTP, needsKernel
from txsctp import SCTPProtocol
from txsctp._check import Host, Measurement, check, main
from txsctp.errors import MessageTooLongError

RELEASE = "6.1.0-test"
SCTP_SYSCTLS = {
    "net.sctp.udp_port": "0", "net.sctp.encap_port": "0", "net.sctp.auth_enable": "0",
    "net.sctp.addip_enable": "0", "net.sctp.reconf_enable": "0", "net.sctp.intl_enable": "0",
    "net.sctp.rto_min": "1000", "net.sctp.sack_timeout": "200",
}
CORE_SYSCTLS = {
    "net.core.wmem_max": "212992", "net.core.wmem_default": "212992",
    "net.core.rmem_max": "212992",
}


class FakeHost(Host):
    """
    A host made of files under C{root} and the answers given here.
    """

    def __init__(self, root, *, sctp=True, extension=None, userspace="not built",
                 measure=None, modprobe=None):
        super().__init__(str(root))
        self.sctp = sctp
        self.answers = {"txsctp.sctpsocket": extension, "txsctp._usrsctp_cffi": userspace}
        self.measurer = measure
        self.modprobe = modprobe
        self.measured = []

    def write(self, path, text):
        full = self.path(path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def sysctls(self, values):
        for name, value in values.items():
            self.write("/proc/sys/" + name.replace(".", "/"), value + "\n")

    def kernelRelease(self):
        return RELEASE

    def socketError(self, kind):
        return None if self.sctp is True else self.sctp

    def run(self, argv):
        return self.modprobe

    def importError(self, module):
        return self.answers[module]

    def txsctpSendBufferRequest(self):
        return 1 << 20

    def measure(self, requested):
        self.measured.append(requested)
        if self.measurer is None:
            return Measurement(requested, error="not measured in this test")
        return self.measurer(requested)


def finding(report, key):
    (found,) = [f for f in report.findings if f.key == key]
    return found


def kernelOnly(tmp_path, **kwargs):
    """
    A host whose kernel has SCTP loaded, with default sysctls.
    """
    host = FakeHost(tmp_path, **kwargs)
    host.write("/proc/modules", "sctp 287602 3 sctp_diag, Live 0x0\nipv6 429085 11 sctp, Live 0x0\n")
    host.sysctls(CORE_SYSCTLS)
    host.sysctls(SCTP_SYSCTLS)
    return host


def noSCTP(tmp_path, **kwargs):
    host = FakeHost(tmp_path, sctp=errno.EPROTONOSUPPORT, **kwargs)
    host.sysctls(CORE_SYSCTLS)
    return host


# -- stacks -----------------------------------------------------------------------


def test_kernelUsable(tmp_path):
    report = check(kernelOnly(tmp_path))
    kernel = finding(report, "kernel")
    assert (kernel.level, kernel.value) == ("ok", "usable")
    assert "module sctp is loaded" in kernel.summary
    assert report.kernelStack and report.usable and report.exitCode == 0
    userspace = finding(report, "userspace")
    assert (userspace.level, userspace.value) == ("note", "not built")
    assert "not built: install libusrsctp-dev and rebuild" in userspace.advice


def test_kernelWithoutModuleSupport(tmp_path):
    """
    This machine's case: no SCTP, no /proc/modules, no userspace stack:
    nothing usable, exit status 1.
    """
    report = check(noSCTP(tmp_path))
    kernel = finding(report, "kernel")
    assert kernel.level == "problem"
    assert "EPROTONOSUPPORT" in kernel.summary and "cannot load modules" in kernel.summary
    assert "CONFIG_IP_SCTP" in kernel.advice and "scripts/sctp-run" in kernel.advice
    assert finding(report, "userspace").level == "problem"
    assert not report.usable and report.exitCode == 1
    # Without kernel SCTP there are no net.sctp settings, and nothing is
    # measured; the send limits are computed from the sysctls.
    assert not [f for f in report.findings if f.key.startswith("net.sctp.")]
    assert report.largestMessage == {"kernelDefault": 212992, "txsctpDefault": 425984,
                                     "hostMax": 425984, "measured": False}
    assert "computed" in finding(report, "net.core.wmem_max").summary


def test_moduleInstalledNotLoaded(tmp_path):
    host = noSCTP(tmp_path, modprobe=(0, f"insmod /lib/modules/{RELEASE}/kernel/net/sctp/sctp.ko.zst"))
    host.write("/proc/modules", "ipv6 429085 11 - Live 0x0\n")
    host.write(f"/lib/modules/{RELEASE}/modules.dep",
               "kernel/net/ipv6/ipv6.ko.zst:\n"
               "kernel/net/sctp/sctp.ko.zst: kernel/lib/libcrc32c.ko.zst\n"
               "kernel/net/sctp/sctp_diag.ko.zst: kernel/net/sctp/sctp.ko.zst\n")
    report = check(host)
    kernel = finding(report, "kernel")
    assert f"installed (/lib/modules/{RELEASE}/kernel/net/sctp/sctp.ko.zst) but not loaded" \
        in kernel.summary
    assert "modprobe sctp" in kernel.advice and "modules-load.d" in kernel.advice
    assert "container" not in kernel.advice
    assert kernel.details["modprobeDryRun"]["status"] == 0
    assert kernel.details["moduleFiles"] == [f"/lib/modules/{RELEASE}/kernel/net/sctp/sctp.ko.zst"]

    host.write("/etc/modprobe.d/sctp-blacklist.conf", "# no SCTP\nblacklist sctp\n")
    host.write("/.dockerenv", "")
    kernel = finding(check(host), "kernel")
    assert "blacklisted (/etc/modprobe.d/sctp-blacklist.conf: blacklist sctp)" in kernel.summary
    assert "load it on the host" in kernel.advice

    host.write("/etc/modprobe.d/sctp-blacklist.conf", "blacklist sctp\ninstall sctp /bin/true\n")
    kernel = finding(check(host), "kernel")
    assert "disabled by the modprobe configuration" in kernel.summary
    assert "install sctp /bin/true" in kernel.summary
    assert kernel.advice.startswith("remove that line")


def test_moduleMissingFromInstalledTree(tmp_path):
    host = noSCTP(tmp_path, modprobe=(1, "modprobe: FATAL: Module sctp not found"))
    host.write("/proc/modules", "")
    host.write(f"/usr/lib/modules/{RELEASE}/modules.dep", "kernel/net/ipv6/ipv6.ko:\n")
    kernel = finding(check(host), "kernel")
    assert "modules are installed, but without sctp" in kernel.summary
    assert f"linux-modules-extra-{RELEASE}" in kernel.advice
    assert "kernel-modules-extra" in kernel.advice


def test_noModuleTreeInContainer(tmp_path):
    host = noSCTP(tmp_path)
    host.write("/proc/modules", "")
    host.write("/.dockerenv", "")
    kernel = finding(check(host), "kernel")
    assert f"no modules for kernel {RELEASE} are installed here" in kernel.summary
    assert "container" in kernel.summary
    assert "load sctp on the machine that runs this kernel" in kernel.advice


def test_builtInModule(tmp_path):
    host = kernelOnly(tmp_path)
    host.write("/proc/modules", "ipv6 429085 11 - Live 0x0\n")
    host.write(f"/lib/modules/{RELEASE}/modules.builtin", "kernel/net/sctp/sctp.ko\n")
    kernel = finding(check(host), "kernel")
    assert kernel.level == "ok" and "built into this kernel" in kernel.summary
    assert kernel.details["builtIn"] is True


def test_loadedButRefused(tmp_path):
    """
    The module is there but socket() is refused otherwise (a seccomp
    filter, an LSM): not a module problem.
    """
    host = kernelOnly(tmp_path, sctp=errno.EACCES)
    kernel = finding(check(host), "kernel")
    assert kernel.level == "problem"
    assert "EACCES" in kernel.summary and "security policy" in kernel.summary
    assert "modprobe" not in kernel.advice


def test_extensionDoesNotLoad(tmp_path):
    host = kernelOnly(tmp_path, extension="ImportError: txsctp/_build.py changed: rebuild")
    report = check(host)
    kernel = finding(report, "kernel")
    assert (kernel.level, kernel.value) == ("problem", "not usable by txsctp")
    assert "compiled module does not load: ImportError" in kernel.summary
    assert "pip install" in kernel.advice and "linux-libc-dev" in kernel.advice
    assert not report.usable and report.exitCode == 1
    assert host.measured == [], "measured with a stack that cannot be used"


def test_userspaceOnly(tmp_path):
    """
    No kernel SCTP, but the userspace stack loads: usable, exit status 0.
    """
    report = check(noSCTP(tmp_path, userspace=None))
    assert (finding(report, "userspace").level, finding(report, "userspace").value) == (
        "ok", "available")
    assert not report.kernelStack and report.userspaceStack
    assert report.usable and report.exitCode == 0
    assert "userspace stack" in report.toText().splitlines()[-1]


def test_userspaceBuiltButBroken(tmp_path):
    report = check(kernelOnly(tmp_path, userspace="OSError: libusrsctp.so.2: cannot open"))
    userspace = finding(report, "userspace")
    assert userspace.value == "does not load" and "libusrsctp.so.2" in userspace.summary
    assert "libusrsctp2" in userspace.advice
    assert report.exitCode == 0  # the kernel stack still works


# -- message size -----------------------------------------------------------------


def measuredLike(wmemMax, wmemDefault):
    """
    A measurer behaving as Linux does: the kernel doubles the request,
    capped at wmem_max.
    """
    def measure(requested):
        size = wmemDefault if requested is None else 2 * min(requested, wmemMax)
        return Measurement(requested, size, fits=True, refusedAbove=True)
    return measure


def test_largestMessageMeasured(tmp_path):
    host = kernelOnly(tmp_path, measure=measuredLike(212992, 212992))
    report = check(host)
    assert host.measured == [None, 1 << 20, 212992]
    assert report.largestMessage == {"kernelDefault": 212992, "txsctpDefault": 425984,
                                     "hostMax": 425984, "measured": True}
    wmem = finding(report, "net.core.wmem_max")
    assert wmem.value == 212992 and "measured" in wmem.summary
    assert "425,984 bytes with txsctp's default tuning" in wmem.summary
    assert "sysctl -w net.core.wmem_max" in wmem.advice
    assert "Tuning(sendBufferSize=BYTES)" in wmem.advice


def test_largestMessageOnATunedHost(tmp_path):
    host = kernelOnly(tmp_path, measure=measuredLike(16 << 20, 212992))
    host.sysctls({"net.core.wmem_max": str(16 << 20), "net.core.rmem_max": str(16 << 20)})
    report = check(host)
    assert report.largestMessage == {"kernelDefault": 212992, "txsctpDefault": 2 << 20,
                                     "hostMax": 32 << 20, "measured": True}
    assert finding(report, "net.core.rmem_max").level == "ok"


def test_measurementDisagreeing(tmp_path):
    """
    A measurement that does not show a clean limit is not reported as one:
    the computed figures are, and the measurements stay in the details.
    """
    def odd(requested):
        return Measurement(requested, 425984, fits=False, refusedAbove=True)

    report = check(kernelOnly(tmp_path, measure=odd))
    assert report.largestMessage["measured"] is False
    details = finding(report, "net.core.wmem_max").details["measurements"]
    assert details["hostMax"]["fits"] is False


def test_smallReceiveBuffers(tmp_path):
    rmem = finding(check(kernelOnly(tmp_path)), "net.core.rmem_max")
    assert rmem.level == "note" and "425,984 bytes" in rmem.summary
    assert "net.core.rmem_max=16777216" in rmem.advice


# -- net.sctp.* -------------------------------------------------------------------


def test_settingsAtTheirDefaults(tmp_path):
    report = check(kernelOnly(tmp_path))
    keys = [f.key for f in report.findings if f.key.startswith("net.sctp.")]
    assert keys == [f"net.sctp.{n}" for n in ("udp_port", "encap_port", "auth_enable",
                                              "addip_enable", "reconf_enable", "intl_enable",
                                              "rto_min", "sack_timeout")]
    udp = finding(report, "net.sctp.udp_port")
    assert udp.level == "note" and "sysctl -w net.sctp.udp_port=9899" in udp.advice
    assert finding(report, "net.sctp.encap_port").level == "ok"
    assert "setAssocValue('authSupported', 1)" in finding(report, "net.sctp.auth_enable").advice
    assert "asconfSupported" in finding(report, "net.sctp.addip_enable").advice
    assert "reconfigSupported" in finding(report, "net.sctp.reconf_enable").advice
    assert "sysctl -w net.sctp.intl_enable=1" in finding(report, "net.sctp.intl_enable").advice
    rto = finding(report, "net.sctp.rto_min")
    assert (rto.level, rto.value, rto.unit) == ("note", 1000, "ms")
    assert "setRTOInfo" in rto.advice
    assert "sackFrequency=1" in finding(report, "net.sctp.sack_timeout").advice
    for f in report.findings:
        if f.key.startswith("net.sctp."):
            assert f.summary and f.advice, f


def test_settingsChanged(tmp_path):
    host = kernelOnly(tmp_path)
    host.sysctls({"net.sctp.udp_port": "9899", "net.sctp.encap_port": "9899",
                  "net.sctp.auth_enable": "1", "net.sctp.rto_min": "100",
                  "net.sctp.sack_timeout": "20"})
    report = check(host)
    assert finding(report, "net.sctp.udp_port").level == "ok"
    encap = finding(report, "net.sctp.encap_port")
    assert encap.level == "warning" and "net.sctp.encap_port=0" in encap.advice
    assert "is on for every new socket" in finding(report, "net.sctp.auth_enable").summary
    assert finding(report, "net.sctp.rto_min").level == "ok"
    assert finding(report, "net.sctp.sack_timeout").level == "ok"


def test_olderKernel(tmp_path):
    """
    A kernel before 5.11: no UDP encapsulation settings.
    """
    host = kernelOnly(tmp_path)
    os.remove(host.path("/proc/sys/net/sctp/udp_port"))
    os.remove(host.path("/proc/sys/net/sctp/encap_port"))
    report = check(host)
    udp = finding(report, "net.sctp.udp_port")
    assert udp.value is None and "older than 5.11" in udp.summary
    assert not [f for f in report.findings if f.key == "net.sctp.encap_port"]


# -- output -----------------------------------------------------------------------


def test_textAndJSON(tmp_path):
    report = check(kernelOnly(tmp_path, measure=measuredLike(212992, 212992)))
    text = report.toText()
    assert text.startswith(f"txsctp {report.txsctpVersion} host check: Linux {RELEASE}")
    assert "[ok] kernel: usable" in text
    assert "[note] net.sctp.rto_min: 1000 ms" in text
    assert "[ok] net.core.wmem_max: 212,992 bytes" in text
    assert max(len(line) for line in text.splitlines()) <= 79
    assert text.rstrip().endswith("Result: SCTP can run here (kernel stack).")
    data = json.loads(json.dumps(report.toJSON()))
    assert data["usable"] is True and data["stacks"] == {"kernel": True, "userspace": False}
    assert data["largestMessage"]["hostMax"] == 425984
    assert {f["key"] for f in data["findings"]} >= {"kernel", "userspace", "net.sctp.udp_port"}
    assert all(set(f) == {"key", "section", "level", "value", "summary", "advice", "details",
                          "unit"} for f in data["findings"])


def test_usage(capsys):
    assert main([]) == 2
    assert "check" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["nonsense"])
    assert e.value.code == 2


def test_realRun():
    """
    The real check on this machine, as a program: its verdict on the
    kernel stack is this kernel's, and its exit status says whether a
    stack is usable.  (Natively here: no kernel SCTP; inside the test
    kernel: usable, with the limit measured.)
    """
    env = dict(os.environ, PYTHONPATH=REPO)
    text = subprocess.run([sys.executable, "-m", "txsctp", "check"], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    proc = subprocess.run([sys.executable, "-m", "txsctp", "check", "--json"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    print(text.stdout)
    data = json.loads(proc.stdout)
    assert data["stacks"]["kernel"] is kernelHasSCTP()
    assert proc.returncode == text.returncode == (0 if data["usable"] else 1)
    assert "[ok] kernel: usable" in text.stdout if kernelHasSCTP() else \
        "[problem] kernel: not usable" in text.stdout
    if kernelHasSCTP():
        assert data["largestMessage"]["measured"] is True
        with open("/proc/sys/net/core/wmem_max") as f:
            wmemMax = int(f.read())
        assert data["largestMessage"]["hostMax"] == 2 * wmemMax


# -- inside the test kernel: the limit is the one sends hit -----------------------


class _Receiver(SCTPProtocol):
    sizes: defer.DeferredQueue

    def messageReceived(self, data, info):
        self.factory.sizes.put(len(data))


@needsKernel
@pytest.mark.parametrize("wmemMax", [212992, 1 << 20])
@pytest_twisted.inlineCallbacks
def test_reportedLimitIsTheTransportsLimit(sysctl, listen, connect, wmemMax):
    """
    With net.core.wmem_max at the kernel's default and raised, the largest
    message the check reports for txsctp's default tuning is exactly what
    a transport takes: one byte more is refused with a MessageTooLongError
    naming the send buffer and this wmem_max, the message of that size
    arrives whole.
    """
    sysctl("net.core.wmem_max", wmemMax)
    report = check()
    assert report.largestMessage["measured"] is True
    limit = report.largestMessage["txsctpDefault"]
    assert limit == 2 * min(1 << 20, wmemMax)
    assert report.largestMessage["hostMax"] == 2 * wmemMax

    serverFactory = protocol.Factory.forProtocol(_Receiver)
    serverFactory.sizes = defer.DeferredQueue()
    port = listen(serverFactory)
    client = yield connect(port.getHost().port, SCTPProtocol)
    transport = client.transport
    with pytest.raises(MessageTooLongError) as single:
        transport.writeMessage(b"x" * (limit + 1))
    assert (single.value.size, single.value.limit) == (limit + 1, limit)
    with pytest.raises(MessageTooLongError) as batch:
        transport.writeMessages([b"small", b"x" * (limit + 1)])
    text = str(batch.value)
    assert batch.value.errno == errno.EMSGSIZE and batch.value.limit == limit
    assert f"message 1 of {limit + 1} bytes is too long (limit {limit} bytes)" in text
    assert "send buffer" in text
    assert f"net.core.wmem_max ({wmemMax} here, so at most {2 * wmemMax} bytes" in text
    assert "Tuning(sendBufferSize=BYTES)" in text and "python -m txsctp check" in text

    transport.writeMessages([b"x" * limit])
    size = yield serverFactory.sizes.get()
    assert size == limit

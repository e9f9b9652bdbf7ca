"""
Network namespaces, veth links, netem and iptables for the fault and
multi-homing tests (inside the test kernel: see ../../shared/uml-notes.md).

A L{Topology} is one peer namespace joined to the test process's own
(root) namespace by one or more veth links.  Link C{k} of topology C{n} has
the addresses C{10.<61+k>.<n>.1/24} (our side) and C{.2} (the peer's side),
so several topologies can exist at once without overlapping.  Everything is
removed when the topology is closed (the C{topology} fixture does it):
deleting the namespace destroys its veth pairs, and the iptables rules and
netem qdiscs live in it or on the links.

Commands run with C{subprocess} (each takes a few milliseconds): setup is
short and blocking the reactor during it is harmless.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from typing import List, Optional, Sequence

import pytest

_counter = itertools.count(1)


def _run(argv: Sequence[str], check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
    return r


def netnsUnavailable() -> Optional[str]:
    """
    Why namespaces cannot be used here, or C{None} if they can.
    """
    if os.geteuid() != 0:
        return "network namespaces need root (run the tests with scripts/sctp-run)"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is missing"
    if os.environ.get("TXSCTP_RUNNER") != "uml" and not os.environ.get("TXSCTP_ALLOW_HOST_NETNS"):
        # On a real host the namespaces would work too, but these tests
        # also change the root namespace (veth ends, routes): only do that
        # inside the disposable test kernel unless asked to.
        return ("namespace tests change the root network namespace; they run inside the "
                "test kernel (scripts/sctp-run), or set TXSCTP_ALLOW_HOST_NETNS=1")
    return None


requiresNetns = pytest.mark.skipif(netnsUnavailable() is not None, reason=netnsUnavailable() or "")


class Link:
    """
    One veth pair: C{local} (our namespace) and C{remote} (the peer's).
    """

    def __init__(self, topology: "Topology", index: int) -> None:
        self.topology = topology
        self.index = index
        n = topology.number
        self.localIf = f"t6r{n}l{index}"
        self.remoteIf = f"t6p{n}l{index}"
        self.localAddr = f"10.{61 + index}.{n % 250}.1"
        self.remoteAddr = f"10.{61 + index}.{n % 250}.2"

    def setup(self) -> None:
        ns = self.topology.name
        _run(["ip", "link", "add", self.localIf, "type", "veth", "peer", "name", self.remoteIf])
        _run(["ip", "link", "set", self.remoteIf, "netns", ns])
        _run(["ip", "addr", "add", f"{self.localAddr}/24", "dev", self.localIf])
        _run(["ip", "-n", ns, "addr", "add", f"{self.remoteAddr}/24", "dev", self.remoteIf])
        _run(["ip", "link", "set", self.localIf, "up"])
        _run(["ip", "-n", ns, "link", "set", self.remoteIf, "up"])

    def down(self) -> None:
        """
        Take the link down on the peer's side (our side loses carrier:
        packets sent on it are silently dropped, like a cut cable).
        """
        _run(["ip", "-n", self.topology.name, "link", "set", self.remoteIf, "down"])

    def up(self) -> None:
        _run(["ip", "-n", self.topology.name, "link", "set", self.remoteIf, "up"])

    def netem(self, spec: str, both: bool = True) -> None:
        """
        Apply a netem qdisc (e.g. C{"loss 10% delay 2ms reorder 25% 50%"})
        to the link's peer side (packets towards us) and, with C{both}, to
        our side (packets towards the peer) as well.
        """
        argsRemote = ["ip", "netns", "exec", self.topology.name, "tc", "qdisc", "replace", "dev",
                      self.remoteIf, "root", "netem"] + spec.split()
        _run(argsRemote)
        if both:
            _run(["tc", "qdisc", "replace", "dev", self.localIf, "root", "netem"] + spec.split())

    def clearNetem(self) -> None:
        _run(["ip", "netns", "exec", self.topology.name, "tc", "qdisc", "del", "dev", self.remoteIf, "root"],
             check=False)
        _run(["tc", "qdisc", "del", "dev", self.localIf, "root"], check=False)

    def counters(self) -> dict:
        """
        Our side's packet counters (C{tx_packets}, C{rx_packets}).
        """
        base = f"/sys/class/net/{self.localIf}/statistics/"
        out = {}
        for name in ("tx_packets", "rx_packets"):
            with open(base + name) as f:
                out[name] = int(f.read())
        return out


class Topology:
    """
    A peer namespace and C{links} veth links to it.
    """

    def __init__(self, links: int = 1) -> None:
        self.number = next(_counter)
        self.name = f"txsctp6-{os.getpid()}-{self.number}"
        self.links: List[Link] = []
        _run(["ip", "netns", "add", self.name])
        try:
            _run(["ip", "-n", self.name, "link", "set", "lo", "up"])
            for i in range(links):
                link = Link(self, i)
                link.setup()
                self.links.append(link)
        except BaseException:
            self.close()
            raise

    @property
    def remoteAddrs(self) -> List[str]:
        return [link.remoteAddr for link in self.links]

    @property
    def localAddrs(self) -> List[str]:
        return [link.localAddr for link in self.links]

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """
        Run a command inside the peer namespace.
        """
        return _run(["ip", "netns", "exec", self.name] + list(argv), check=check)

    def sysctl(self, name: str, value) -> None:
        """
        Set a sysctl inside the peer namespace (C{net.*} sysctls are per
        namespace; a new namespace starts from the kernel defaults).
        """
        self.run("sh", "-c", f"echo {value} > /proc/sys/{name.replace('.', '/')}")

    def iptables(self, *args: str) -> None:
        """
        iptables-legacy inside the peer namespace (nftables does not work in
        the test kernel).
        """
        self.run("iptables-legacy", *args)

    def close(self) -> None:
        for link in self.links:
            _run(["ip", "link", "del", link.localIf], check=False)
        _run(["ip", "netns", "del", self.name], check=False)
        self.links = []


@pytest.fixture
def topology():
    """
    C{topology(links=1)} builds a L{Topology}; all are removed after the
    test.  Skips (saying why) where namespaces cannot be used.
    """
    why = netnsUnavailable()
    if why is not None:
        pytest.skip(why)
    made: List[Topology] = []

    def make(links: int = 1) -> Topology:
        t = Topology(links)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def iptablesAvailable() -> Optional[str]:
    if shutil.which("iptables-legacy") is None:
        return "iptables-legacy is not installed"
    if not os.path.isdir("/sys/module/xt_sctp"):
        return "the xt_sctp kernel module is not loaded"
    return None


def netemAvailable() -> Optional[str]:
    if shutil.which("tc") is None:
        return "tc (iproute2) is missing"
    if not os.path.isdir("/sys/module/sch_netem"):
        return "the sch_netem kernel module is not loaded"
    return None

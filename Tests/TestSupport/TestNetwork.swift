import Foundation
import Synchronization

/// A network namespace of the test's own, joined to this one by a veth pair,
/// so a process started in it (``command(_:)``) sees a network the test can
/// break for real:
///
/// - its name resolution: `ip netns exec` mounts this namespace's `hosts` and
///   `resolv.conf` over the process's own; the name server named there is an
///   address on the link that nobody answers, so any lookup that is not in
///   `hosts` hangs as it does when a real resolver stops answering (glibc
///   waits its `timeout:5` × `attempts:2`, 10 s and more);
/// - its path to the servers: ``setLink(up:)`` takes the link down, and every
///   packet is then dropped silently (no reset, no refusal).
///
/// Needs root and `ip` (iproute2). Removed, with its files, on `deinit`.
public final class TestNetwork: @unchecked Sendable {
    /// The namespace's name.
    public let name: String
    /// The address of this (the test's) side, where servers listen.
    public let hostAddress: String
    /// The address of the namespace's side.
    public let namespaceAddress: String
    private let hostLink: String
    private var folder: String { "/etc/netns/\(self.name)" }

    private static let created = Atomic<Int>(0)

    public init() throws {
        guard getuid() == 0 else { throw TestServerError("TestNetwork needs root (ip netns): run scripts/test as root, as CI does") }
        let index = Self.created.wrappingAdd(1, ordering: .relaxed).oldValue
        let subnet = (Int(getpid()) + index) % 200 + 20
        self.name = "rs-test-\(getpid())-\(index)"
        self.hostLink = "rsth\(getpid() % 100_000)x\(index)"
        self.hostAddress = "10.213.\(subnet).1"
        self.namespaceAddress = "10.213.\(subnet).2"
        let peer = self.hostLink + "n"
        try FileManager.default.createDirectory(atPath: self.folder, withIntermediateDirectories: true)
        try Self.write("nameserver 10.213.\(subnet).53\noptions timeout:5 attempts:2\n", to: "\(self.folder)/resolv.conf")
        try Self.write("127.0.0.1 localhost\n", to: "\(self.folder)/hosts")
        for arguments in [
            ["ip", "netns", "add", self.name],
            ["ip", "-n", self.name, "link", "set", "lo", "up"],
            ["ip", "link", "add", self.hostLink, "type", "veth", "peer", "name", peer],
            ["ip", "link", "set", peer, "netns", self.name],
            ["ip", "addr", "add", "\(self.hostAddress)/24", "dev", self.hostLink],
            ["ip", "link", "set", self.hostLink, "up"],
            ["ip", "-n", self.name, "addr", "add", "\(self.namespaceAddress)/24", "dev", peer],
            ["ip", "-n", self.name, "link", "set", peer, "up"],
        ] {
            try runCommand(arguments)
        }
    }

    deinit {
        _ = try? runCommand(["ip", "link", "del", self.hostLink])
        _ = try? runCommand(["ip", "netns", "del", self.name])
        try? FileManager.default.removeItem(atPath: self.folder)
    }

    /// `arguments` as a command run inside the namespace.
    public func command(_ arguments: [String]) -> [String] {
        ["ip", "netns", "exec", self.name] + arguments
    }

    /// Replaces the namespace's `/etc/hosts` (in place: the running
    /// processes have the file mounted and read it at each lookup).
    public func setHosts(_ entries: [String: String]) throws {
        let lines = ["127.0.0.1 localhost"] + entries.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        try Self.write(lines.joined(separator: "\n") + "\n", to: "\(self.folder)/hosts")
    }

    /// Takes the link between the two namespaces down (every packet dropped) or up.
    public func setLink(up: Bool) throws {
        try runCommand(["ip", "link", "set", self.hostLink, up ? "up" : "down"])
    }

    /// Writes `text` into the existing file (truncating it, same inode), or creates it.
    private static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw TestServerError("cannot write \(path)") }
        defer { fclose(file) }
        guard fputs(text, file) >= 0 else { throw TestServerError("cannot write \(path)") }
    }
}

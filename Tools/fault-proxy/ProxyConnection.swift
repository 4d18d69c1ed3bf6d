import NIOCore
import NIOPosix

/// A client connection glued to its upstream connection under the route's
/// fault. Everything runs on the client channel's event loop: the upstream
/// channel is opened on the same loop, and the route tells of a fault change
/// through it.
///
/// Each direction has a ``Backlog``. A side is read only while its partner is
/// connected and writable, its backlog is under ``backlogLimit`` and the fault
/// is not a blackhole; what is read is written at the end of the read (or when
/// its latency is over). A half-close is passed on once the backlog before it
/// is written; a side that goes away otherwise takes the other with it.
///
/// A connection accepted during a blackhole connects upstream only when the
/// blackhole is lifted (a partitioned upstream would not have answered). A
/// failed upstream connect resets the client, the nearest a proxy gets to
/// "connection refused".
final class ProxyConnection {
    enum Side {
        case client, upstream

        var partner: Side { self == .client ? .upstream : .client }
    }

    /// How many bytes one direction may hold before its source is no longer read.
    static let backlogLimit = 1 << 20

    private enum Upstream {
        case idle
        case connecting
        case connected(any Channel)
    }

    private let route: Route
    private let client: any Channel
    private var upstream = Upstream.idle
    private var id: Int?
    private var fault = Fault.none
    private let toClient = Backlog()
    private let toUpstream = Backlog()
    private var deferredReads: Set<Side> = []
    private var deliveryTimer: Scheduled<Void>?
    private var closed = false

    init(route: Route, client: any Channel) {
        self.route = route
        self.client = client
    }

    // MARK: Events from the handlers and the route

    /// A side's channel is active: the client's starts the connection.
    func active(_ side: Side, channel: any Channel) {
        switch side {
        case .client:
            let registration = self.route.register(NIOLoopBound(self, eventLoop: self.client.eventLoop))
            self.id = registration.id
            self.apply(registration.fault)
        case .upstream:
            guard !self.closed else { return channel.close(promise: nil) }
            self.upstream = .connected(channel)
            self.forward()
        }
    }

    /// The route's fault changed (or the connection starts under it).
    func apply(_ fault: Fault) {
        guard !self.closed else { return }
        self.fault = fault
        switch (fault, self.upstream) {
        case (.reset, _): self.close(resetting: true)
        case (.blackhole, _): break
        case (_, .idle): self.connect()
        default: self.forward()
        }
    }

    func received(_ buffer: ByteBuffer, from side: Side) {
        let due = side == .upstream ? self.fault.latency.map { NIODeadline.now() + .milliseconds(Int64($0)) } : nil
        self.backlog(toward: side.partner).append(buffer, due: due)
        self.route.hold(buffer.readableBytes)
    }

    func readComplete(from side: Side) {
        self.pump(toward: side.partner)
    }

    func writabilityChanged() {
        self.resumeReads()
    }

    func inputClosed(_ side: Side) {
        if side == .client, self.fault == .blackhole {
            // A client that gives up during a partition takes its (unheard) upstream with it.
            return self.close(resetting: false)
        }
        self.backlog(toward: side.partner).inputClosed = true
        self.pump(toward: side.partner)
    }

    /// A side's channel closed. After the proxy half-closed it, that is its EOF
    /// (NIO closes a channel whose output is shut when its EOF comes, with no
    /// inputClosed event), and what is held for the other side still goes;
    /// otherwise it ends the connection.
    func inactive(_ side: Side) {
        if side == .client, let id = self.id {
            self.route.unregister(id)
            self.id = nil
        }
        if self.backlog(toward: side).outputClosing {
            self.inputClosed(side)
        } else {
            self.close(resetting: false)
        }
    }

    func failed() {
        self.close(resetting: false)
    }

    /// Whether `side` may be read now; if not, ``deferRead(_:)`` keeps the read for later.
    func canRead(_ side: Side) -> Bool {
        guard !self.closed, self.fault != .blackhole, let target = self.channel(side.partner) else { return false }
        return target.isWritable && self.backlog(toward: side.partner).byteCount < Self.backlogLimit
    }

    func deferRead(_ side: Side) {
        self.deferredReads.insert(side)
    }

    // MARK: Forwarding

    private func channel(_ side: Side) -> (any Channel)? {
        switch (side, self.upstream) {
        case (.client, _): self.client
        case (.upstream, .connected(let channel)): channel
        case (.upstream, _): nil
        }
    }

    private func backlog(toward side: Side) -> Backlog {
        side == .client ? self.toClient : self.toUpstream
    }

    private func connect() {
        self.upstream = .connecting
        let connection = NIOLoopBound(self, eventLoop: self.client.eventLoop)
        ClientBootstrap(group: self.client.eventLoop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(connection.value, side: .upstream))
                }
            }
            .connect(host: self.route.upstream.host, port: self.route.upstream.port)
            .assumeIsolated()
            .whenFailure { _ in self.close(resetting: true) }
    }

    /// Writes what may go both ways and resumes the reads that waited.
    private func forward() {
        self.pump(toward: .upstream)
        self.pump(toward: .client)
        self.resumeReads()
    }

    /// Writes the chunks toward `side` that may go now, then its half-close once
    /// nothing is left before it.
    private func pump(toward side: Side) {
        guard !self.closed, self.fault != .blackhole, let channel = self.channel(side) else { return }
        let backlog = self.backlog(toward: side)
        let now = NIODeadline.now()
        var wrote = false
        while let buffer = backlog.popDue(at: now) {
            self.route.hold(-buffer.readableBytes)
            channel.write(buffer, promise: nil)
            wrote = true
        }
        if wrote {
            channel.flush()
        }
        if let due = backlog.nextDue {
            self.scheduleDelivery(at: due)
        } else if backlog.isEmpty, backlog.inputClosed, !backlog.outputClosing {
            backlog.outputClosing = true
            // An empty write completes after every write before it: only then
            // half-close (NIO closes fully at once when the input is already
            // closed, which would drop writes still pending).
            let written = channel.eventLoop.makePromise(of: Void.self)
            channel.writeAndFlush(ByteBuffer(), promise: written)
            written.futureResult.assumeIsolated().whenSuccess { channel.close(mode: .output, promise: nil) }
        }
    }

    private func scheduleDelivery(at due: NIODeadline) {
        guard self.deliveryTimer == nil else { return }
        self.deliveryTimer = self.client.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            self.deliveryTimer = nil
            self.pump(toward: .client)
            self.resumeReads()
        }
    }

    private func resumeReads() {
        for side in [Side.client, .upstream] where self.deferredReads.contains(side) && self.canRead(side) {
            self.deferredReads.remove(side)
            self.channel(side)?.read()
        }
    }

    /// Closes both sides; with `resetting`, the client's with a TCP RST (SO_LINGER 0).
    private func close(resetting: Bool) {
        guard !self.closed else { return }
        self.closed = true
        self.deliveryTimer?.cancel()
        self.deliveryTimer = nil
        self.route.hold(-(self.toClient.clear() + self.toUpstream.clear()))
        if resetting, let socket = self.client as? any SocketOptionProvider {
            _ = socket.setSoLinger(NIOLinger(l_onoff: 1, l_linger: 0))
        }
        self.client.close(promise: nil)
        if case .connected(let channel) = self.upstream {
            channel.close(promise: nil)
        }
    }
}

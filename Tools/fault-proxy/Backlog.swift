import NIOCore

/// The bytes read from one side of a connection and not yet written to the
/// other, in order, each with the time it may go (nil: at once); and how far
/// the end of that direction has got. Used on one event loop only.
final class Backlog {
    private var chunks = CircularBuffer<(buffer: ByteBuffer, due: NIODeadline?)>()
    /// The bytes held.
    private(set) var byteCount = 0
    /// The source sent its EOF.
    var inputClosed = false
    /// The EOF is on its way to the target: nothing more may be written.
    var outputClosing = false

    var isEmpty: Bool { self.chunks.isEmpty }

    /// When the first chunk may go, if it may not go now.
    var nextDue: NIODeadline? { self.chunks.first?.due }

    func append(_ buffer: ByteBuffer, due: NIODeadline?) {
        self.chunks.append((buffer, due))
        self.byteCount += buffer.readableBytes
    }

    /// Removes and returns the first chunk if it may go at `now`.
    func popDue(at now: NIODeadline) -> ByteBuffer? {
        guard let first = self.chunks.first, first.due.map({ $0 <= now }) ?? true else { return nil }
        self.chunks.removeFirst()
        self.byteCount -= first.buffer.readableBytes
        return first.buffer
    }

    /// Drops every chunk; returns how many bytes were dropped.
    func clear() -> Int {
        let dropped = self.byteCount
        self.chunks.removeAll()
        self.byteCount = 0
        return dropped
    }
}

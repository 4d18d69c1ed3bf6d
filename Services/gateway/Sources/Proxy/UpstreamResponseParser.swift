import NIOCore

/// Reads an upstream connection's responses from its bytes as they arrive:
/// the head whole (``UpstreamResponseHead``), then the body delimited by its
/// framing and handed on as slices of what was read, without a copy. A
/// chunked body keeps its chunk framing (and trailers) unless ``dechunks``
/// is set, for a client that cannot read chunks. Interim `1xx` heads are
/// read and dropped.
struct UpstreamResponseParser {
    enum Event {
        case head(UpstreamResponseHead)
        case body(ByteBuffer)
        case end
    }

    private enum State {
        /// No response is due: any byte is out of step.
        case idle
        case head(toHEAD: Bool)
        case length(remaining: Int)
        case untilClose
        case chunkSize(ChunkSizeLine)
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data; `true` once its CR came.
        case chunkDataEnd(sawCR: Bool)
        case trailers(TrailerLine)
        /// The body ended; `.end` is the next event.
        case ended
    }

    /// A chunk-size line read so far: `1*HEXDIG [ chunk-ext ] CRLF`.
    private struct ChunkSizeLine {
        var size = 0
        var digits = 0
        var inExtension = false
        var sawCR = false
        var length = 0
    }

    /// The trailer section read so far: its current line's length, whether
    /// that line's CR came, and the section's length.
    private struct TrailerLine {
        var length = 0
        var sawCR = false
        var total = 0
    }

    /// The longest chunk-size line (extensions included) and trailer section read.
    static let maxChunkLineBytes = 4096
    static let maxTrailerBytes = 16 * 1024

    /// Chunk framing and trailers are dropped: only the data goes on.
    var dechunks = false
    private var state = State.idle
    /// A head that arrived in more than one read.
    private var partialHead = ByteBuffer()

    /// A response is due next, to a `HEAD` request or not.
    mutating func expectResponse(toHEAD: Bool) {
        self.state = .head(toHEAD: toHEAD)
        self.dechunks = false
        self.partialHead.clear()
    }

    /// The next event from `input`, consuming what it covers; `nil` when
    /// `input` holds nothing more to say yet.
    mutating func next(_ input: inout ByteBuffer) throws(UpstreamResponseError) -> Event? {
        while true {
            switch self.state {
            case .idle:
                if input.readableBytes > 0 { throw .unexpected }
                return nil
            case .head(let toHEAD):
                guard let bytes = try self.head(&input) else { return nil }
                let head = try UpstreamResponseHead(bytes, toHEAD: toHEAD)
                // An interim answer (100 Continue): the final head follows.
                if head.status < 200 { continue }
                switch head.framing {
                case .none: self.state = .ended
                case .length(let length): self.state = length == 0 ? .ended : .length(remaining: length)
                case .chunked: self.state = .chunkSize(ChunkSizeLine())
                case .untilClose: self.state = .untilClose
                }
                return .head(head)
            case .length(let remaining):
                guard input.readableBytes > 0 else { return nil }
                let count = min(remaining, input.readableBytes)
                self.state = count == remaining ? .ended : .length(remaining: remaining - count)
                return .body(input.readSlice(length: count)!)
            case .untilClose:
                guard input.readableBytes > 0 else { return nil }
                return .body(input.readSlice(length: input.readableBytes)!)
            case .ended:
                self.state = .idle
                return .end
            case .chunkData(let remaining) where self.dechunks:
                guard input.readableBytes > 0 else { return nil }
                let count = min(remaining, input.readableBytes)
                self.state = count == remaining ? .chunkDataEnd(sawCR: false) : .chunkData(remaining: remaining - count)
                return .body(input.readSlice(length: count)!)
            case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
                guard input.readableBytes > 0 else { return nil }
                let framed = try input.withUnsafeReadableBytes { bytes throws(UpstreamResponseError) in try self.scanChunked(bytes) }
                if self.dechunks {
                    input.moveReaderIndex(forwardBy: framed)
                } else {
                    return .body(input.readSlice(length: framed)!)
                }
            }
        }
    }

    /// The connection closed: the end of a body that runs until then.
    mutating func closed() -> Event? {
        guard case .untilClose = self.state else { return nil }
        self.state = .idle
        return .end
    }

    /// The whole head, once its empty line has come; what came after it stays in `input`.
    private mutating func head(_ input: inout ByteBuffer) throws(UpstreamResponseError) -> ByteBuffer? {
        if self.partialHead.readableBytes == 0 {
            if let length = try Self.headLength(input, from: 0) { return input.readSlice(length: length)! }
        } else {
            let searched = self.partialHead.readableBytes
            self.partialHead.writeBuffer(&input)
            if let length = try Self.headLength(self.partialHead, from: max(0, searched - 3)) {
                let head = self.partialHead.readSlice(length: length)!
                input = self.partialHead
                self.partialHead = ByteBuffer()
                return head
            }
            guard self.partialHead.readableBytes <= UpstreamResponseHead.maxBytes else { throw .headTooLarge }
            return nil
        }
        guard input.readableBytes <= UpstreamResponseHead.maxBytes else { throw .headTooLarge }
        self.partialHead.writeBuffer(&input)
        return nil
    }

    /// The length of the head in `buffer` through its empty line, if it is
    /// all there, searched from `start`. A LF without its CR is malformed.
    private static func headLength(_ buffer: ByteBuffer, from start: Int) throws(UpstreamResponseError) -> Int? {
        let found = buffer.withUnsafeReadableBytes { bytes -> Int? in
            var index = start
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "\n") {
                    guard index > 0, bytes[index - 1] == UInt8(ascii: "\r") else { return -1 }
                    if index >= 3, bytes[index - 2] == UInt8(ascii: "\n") { return index + 1 }
                }
                index += 1
            }
            return nil
        }
        switch found {
        case .some(-1): throw .malformedHead
        case let length? where length > UpstreamResponseHead.maxBytes: throw .headTooLarge
        default: return found
        }
    }

    /// Reads chunk framing from `bytes` (and, unless ``dechunks``, the data
    /// between it) up to the body's end or the bytes' end; with ``dechunks``
    /// it stops where data begins. Returns how many bytes it read.
    private mutating func scanChunked(_ bytes: UnsafeRawBufferPointer) throws(UpstreamResponseError) -> Int {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch self.state {
            case .chunkSize(var line):
                line.length += 1
                guard line.length <= Self.maxChunkLineBytes else { throw .malformedChunk }
                if line.sawCR {
                    guard byte == UInt8(ascii: "\n"), line.digits > 0 else { throw .malformedChunk }
                    self.state = line.size == 0 ? .trailers(TrailerLine()) : .chunkData(remaining: line.size)
                } else if byte == UInt8(ascii: "\r") {
                    line.sawCR = true
                    self.state = .chunkSize(line)
                } else if line.inExtension {
                    guard byte != UInt8(ascii: "\n"), byte != 0 else { throw .malformedChunk }
                    self.state = .chunkSize(line)
                } else if let digit = Self.hexValue(byte) {
                    guard line.digits < 15 else { throw .malformedChunk }
                    line.size = line.size << 4 | digit
                    line.digits += 1
                    self.state = .chunkSize(line)
                } else if line.digits > 0, byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                    line.inExtension = true
                    self.state = .chunkSize(line)
                } else {
                    throw .malformedChunk
                }
                index += 1
            case .chunkData(let remaining):
                if self.dechunks { return index }
                let count = min(remaining, bytes.count - index)
                self.state = count == remaining ? .chunkDataEnd(sawCR: false) : .chunkData(remaining: remaining - count)
                index += count
            case .chunkDataEnd(let sawCR):
                guard byte == (sawCR ? UInt8(ascii: "\n") : UInt8(ascii: "\r")) else { throw .malformedChunk }
                self.state = sawCR ? .chunkSize(ChunkSizeLine()) : .chunkDataEnd(sawCR: true)
                index += 1
            case .trailers(var line):
                line.total += 1
                guard line.total <= Self.maxTrailerBytes else { throw .malformedChunk }
                if line.sawCR {
                    guard byte == UInt8(ascii: "\n") else { throw .malformedChunk }
                    index += 1
                    if line.length == 0 {
                        self.state = .ended
                        return index
                    }
                    self.state = .trailers(TrailerLine(total: line.total))
                    continue
                } else if byte == UInt8(ascii: "\r") {
                    line.sawCR = true
                } else {
                    guard byte != UInt8(ascii: "\n"), byte != 0 else { throw .malformedChunk }
                    line.length += 1
                }
                self.state = .trailers(line)
                index += 1
            default:
                return index
            }
        }
        return index
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}

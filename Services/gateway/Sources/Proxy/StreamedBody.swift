import Hummingbird
import NIOCore

/// A request body sent upstream as it arrives: first what the proxy has
/// already read (`prefix`), then the rest of the client's body. It fails once
/// it grows past `limit` bytes (`MAX_BODY_BYTES`).
struct StreamedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// The client's body iterator, handed from the proxy (which reads the
    /// first part) to AsyncHTTPClient (which reads the rest): one reader at a
    /// time, never two at once.
    final class Source: @unchecked Sendable {
        var iterator: RequestBody.AsyncIterator

        init(_ iterator: RequestBody.AsyncIterator) {
            self.iterator = iterator
        }
    }

    let prefix: ByteBuffer
    let source: Source
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var prefix: ByteBuffer?
        let source: Source
        let limit: Int
        var seen = 0

        mutating func next() async throws -> ByteBuffer? {
            let chunk: ByteBuffer
            if let prefix = self.prefix.take(), prefix.readableBytes > 0 {
                chunk = prefix
            } else {
                guard let next = try await self.source.iterator.next() else { return nil }
                chunk = next
            }
            self.seen += chunk.readableBytes
            if self.seen > self.limit { throw ProxyError.bodyTooLarge }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(prefix: self.prefix, source: self.source, limit: self.limit)
    }
}

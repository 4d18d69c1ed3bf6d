import NIOCore
import NIOPosix

extension ServiceMain {
    /// Makes SwiftNIO's event loops (`MultiThreadedEventLoopGroup.singleton`,
    /// one thread per core) Swift Concurrency's global executor, so request
    /// handlers, the HTTP server and the HTTP client share the same threads and
    /// a request no longer hops between NIO's threads and the cooperative pool.
    /// Measured on the gateway: about 1.2× the requests per second
    /// (docs/performance.md).
    ///
    /// Call it once, first thing in `main.swift`, before any `await`. Safe for
    /// these services because nothing blocks on the global executor: libpq and
    /// hiredis calls run on their pools' own threads. It returns `false`, and
    /// nothing changes, where the runtime offers no hook.
    @discardableResult
    public static func runConcurrencyOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}

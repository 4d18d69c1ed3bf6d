import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits for a termination signal (SIGTERM, SIGINT) with Dispatch signal sources.
enum SignalWaiter {
    /// Returns the first of `signals` the process receives.
    static func wait(for signals: [Int32]) async -> Int32 {
        let queue = DispatchQueue(label: "fault-proxy.signals")
        return await withCheckedContinuation { continuation in
            let pending = Mutex<CheckedContinuation<Int32, Never>?>(continuation)
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    pending.withLock { $0.take() }?.resume(returning: number)
                    _ = source  // the handler keeps its source alive
                }
                source.resume()
            }
        }
    }
}

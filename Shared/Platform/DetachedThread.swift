#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An OS thread of its own for work that must not run on (or wait for) Swift
/// Concurrency's threads: a blocking lookup, a watchdog. What Foundation's
/// `Thread.detachNewThread` does, with POSIX threads only.
public enum DetachedThread {
    /// Runs `body` on a new detached thread named `name` (Linux keeps its
    /// first 15 bytes).
    public static func start(name: String? = nil, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Context(name: name, body: body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let status = pthread_create(&thread, nil, { argument in
            let context = Unmanaged<Context>.fromOpaque(argument!).takeRetainedValue()
            if let name = context.name {
                #if canImport(Darwin)
                pthread_setname_np(name)
                #else
                // glibc's pthread_setname_np needs _GNU_SOURCE, which Swift's Glibc
                // module is built without: the kernel's interface instead.
                let descriptor = open("/proc/thread-self/comm", O_WRONLY)
                if descriptor >= 0 {
                    FileOutput.writeAll(name, to: descriptor)
                    close(descriptor)
                }
                #endif
            }
            context.body()
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
        #if canImport(Darwin)
        pthread_detach(thread!)
        #else
        pthread_detach(thread)
        #endif
    }

    /// Blocks the calling thread for `duration`.
    public static func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }

    private final class Context {
        let name: String?
        let body: @Sendable () -> Void

        init(name: String?, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}

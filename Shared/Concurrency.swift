import Synchronization

/// Runs `operation` and returns its result, or throws `timeoutError` once
/// `timeout` has passed, whichever comes first.
///
/// Unlike a task group, this returns at the timeout even when the operation
/// can't be cancelled (a blocking C call on a thread pool): the operation is
/// cancelled and left to finish in the background, its result discarded.
public func withTimeout<T: Sendable>(
    _ timeout: Duration,
    error timeoutError: any Error,
    operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let gate = ResumeGate<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            gate.install(continuation)
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                gate.resume(with: result)
            }
            let timer = Task {
                try await Task.sleep(for: timeout)
                if gate.resume(with: .failure(timeoutError)) { work.cancel() }
            }
            gate.onResume { timer.cancel() }
        }
    } onCancel: {
        gate.resume(with: .failure(CancellationError()))
    }
}

/// Resumes a continuation exactly once, whoever comes first.
private final class ResumeGate<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var pending: Result<T, any Error>?
        var done = false
        var onResume: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let pending: Result<T, any Error>? = self.state.withLock { state in
            if let pending = state.pending { return pending }
            state.continuation = continuation
            return nil
        }
        if let pending { continuation.resume(with: pending) }
    }

    func onResume(_ action: @escaping @Sendable () -> Void) {
        let runNow = self.state.withLock { state in
            if state.done { return true }
            state.onResume = action
            return false
        }
        if runNow { action() }
    }

    /// Returns `true` when this call was the one that resumed.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let taken: Taken? = self.state.withLock { state in
            if state.done { return nil }
            state.done = true
            if state.continuation == nil { state.pending = result }
            return Taken(continuation: state.continuation, action: state.onResume)
        }
        guard let taken else { return false }
        taken.continuation?.resume(with: result)
        taken.action?()
        return true
    }

    private struct Taken {
        var continuation: CheckedContinuation<T, any Error>?
        var action: (@Sendable () -> Void)?
    }
}

/// Runs `body` at once, then again every `interval`, measured from the start
/// or the end of the last run (`boundary`), until the task is cancelled or
/// `stop` returns `true`. `jitter` moves each start by up to that share of
/// `interval` either way (`0.1`: ±10 %), so callers drift out of step.
public func runPeriodically(
    every interval: Duration, from boundary: RunBoundary = .startOfRun, jitter: Double = 0, until stop: () -> Bool = { false },
    _ body: () async -> Void
) async {
    let clock = ContinuousClock()
    while !Task.isCancelled && !stop() {
        let started = clock.now
        await body()
        let period = jitter == 0 ? interval : interval + interval * Double.random(in: -jitter...jitter)
        let anchor = boundary == .startOfRun ? started : clock.now
        do { try await Task.sleep(until: anchor + period, clock: clock) } catch { return }
    }
}

/// Why a scenario could not run as designed: a hook that failed, a service
/// that refused the driver's chaos or fault, a setting the run needs. The
/// description is the whole message (no secret: URLs and paths only).
struct DemoFailure: Error, CustomStringConvertible {
    let description: String
}

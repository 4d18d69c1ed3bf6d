/// One `--route NAME=LISTEN_HOST:LISTEN_PORT=UPSTREAM_HOST:UPSTREAM_PORT`.
struct RouteSpec: Sendable {
    let name: String
    let listen: Endpoint
    let upstream: Endpoint

    init(name: String, listen: Endpoint, upstream: Endpoint) {
        self.name = name
        self.listen = listen
        self.upstream = upstream
    }

    /// Parses the option's value; nil when it is malformed. The name is letters,
    /// digits, `.`, `_` and `-` (it is a path segment of the admin API); the
    /// upstream port is not 0.
    init?(_ text: String) {
        let parts = text.split(separator: "=", omittingEmptySubsequences: false)
        guard parts.count == 3, let listen = Endpoint(String(parts[1])), let upstream = Endpoint(String(parts[2])), upstream.port != 0 else {
            return nil
        }
        let name = String(parts[0])
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            return nil
        }
        self.init(name: name, listen: listen, upstream: upstream)
    }
}

/// The command line: the admin address and the routes.
struct ProxyOptions: Sendable {
    let admin: Endpoint
    let routes: [RouteSpec]

    static let usage = """
        usage: fault-proxy --admin HOST:PORT --route NAME=LISTEN_HOST:LISTEN_PORT=UPSTREAM_HOST:UPSTREAM_PORT [--route ...]

        A TCP proxy that forwards each route untouched until told, over the admin
        HTTP API, to add latency, blackhole (a silent partition) or reset.

          --admin HOST:PORT   where the admin API listens (GET /health, GET /routes,
                              GET /routes/NAME, PUT /routes/NAME/fault)
          --route SPEC        a route; NAME is letters, digits, '.', '_', '-';
                              UPSTREAM_HOST may be a DNS name, resolved at each connect
          --help              this text

        Exit codes: 0 after SIGTERM or SIGINT, 1 when a port cannot be bound, 2 for bad arguments.
        """

    /// Parses the arguments (without the program name); nil for `--help`.
    static func parse(_ arguments: [String]) throws(UsageError) -> ProxyOptions? {
        var admin: Endpoint?
        var routes: [RouteSpec] = []
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--help", "-h":
                return nil
            case "--admin":
                guard let value = remaining.popFirst() else { throw .missingValue(argument) }
                guard let endpoint = Endpoint(value) else { throw .badValue(argument, value, expected: "HOST:PORT") }
                admin = endpoint
            case "--route":
                guard let value = remaining.popFirst() else { throw .missingValue(argument) }
                guard let route = RouteSpec(value) else {
                    throw .badValue(argument, value, expected: "NAME=LISTEN_HOST:LISTEN_PORT=UPSTREAM_HOST:UPSTREAM_PORT")
                }
                guard !routes.contains(where: { $0.name == route.name }) else { throw .duplicateRoute(route.name) }
                routes.append(route)
            default:
                throw .unknownArgument(argument)
            }
        }
        guard let admin else { throw .missingOption("--admin") }
        guard !routes.isEmpty else { throw .missingOption("--route") }
        return ProxyOptions(admin: admin, routes: routes)
    }
}

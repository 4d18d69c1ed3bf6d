import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Shared

/// One libpq connection. Every method blocks: call them only on the pool's
/// thread pool. Closed (`PQfinish`) in `deinit`.
///
/// Queries are sent with `PQsendQueryParams` (the non-blocking form of
/// `PQexecParams`: parameters travel apart from the SQL, so there is no
/// injection) and their answer is awaited with `poll(2)` up to a client-side
/// deadline, so a server that stops answering (frozen, partitioned) costs a
/// bounded time instead of a hang; the connection is then dropped.
final class PostgresConnection: BlockingConnection, @unchecked Sendable {
    private let handle: OpaquePointer
    /// Set after a client-side timeout: the protocol state is unknown.
    private var abandoned = false

    /// Connects with the settings' URL, password and timeouts, within
    /// `connectTimeoutSeconds` in all: name resolution (``HostResolver``,
    /// whose addresses go to libpq as `hostaddr`, the names staying `host`
    /// for authentication), the TCP connect to every address, TLS and start-up.
    /// libpq's own `PQconnectdbParams` can't promise that: its `getaddrinfo`
    /// is unbounded and `connect_timeout` applies to each address anew.
    init(settings: PostgresSettings) throws {
        let deadline = ContinuousClock.now + .seconds(settings.connectTimeoutSeconds)
        // Defaults first; the URL (expanded from `dbname`) overrides them; the
        // resolved addresses and an explicit password override the URL's.
        var pairs: [(String, String)] = [
            ("connect_timeout", String(settings.connectTimeoutSeconds)),
            ("application_name", settings.applicationName),
            ("keepalives", "1"),
            ("keepalives_idle", "5"),
            ("keepalives_interval", "2"),
            ("keepalives_count", "2"),
            ("tcp_user_timeout", String(Int(settings.statementTimeout.milliseconds) + 2000)),
            ("options", "-c statement_timeout=\(Int(settings.statementTimeout.milliseconds))"),
            ("dbname", settings.url),
        ]
        pairs += try Self.resolvedHosts(url: settings.url, deadline: deadline)
        if let password = settings.password { pairs.append(("password", password)) }
        self.queryDeadline = Self.queryDeadline(settings)
        let handle: OpaquePointer? = withCStringArray(pairs.map(\.0)) { keys in
            withCStringArray(pairs.map(\.1)) { values in
                PQconnectStartParams(keys, values, 1)
            }
        }
        guard let handle else { throw PostgresError.connectionFailed }
        do {
            try Self.completeConnect(handle, deadline: deadline)
        } catch {
            PQfinish(handle)
            throw error
        }
        self.handle = handle
    }

    /// `host` and `hostaddr` for every TCP host the URL names, one entry per
    /// address, so libpq itself never resolves a name. Empty when the URL
    /// names no host or a Unix socket folder (libpq's defaults apply).
    private static func resolvedHosts(url: String, deadline: ContinuousClock.Instant) throws -> [(String, String)] {
        let (hosts, ports) = Self.hostsAndPorts(url: url)
        guard !hosts.isEmpty, !hosts.contains(where: { $0.isEmpty || $0.hasPrefix("/") || $0.hasPrefix("@") }) else { return [] }
        var names: [String] = []
        var addresses: [String] = []
        var addressPorts: [String] = []
        for (index, host) in hosts.enumerated() {
            let resolved: [String]
            do {
                resolved = try HostResolver.shared.resolve(host, deadline: deadline)
            } catch {
                // With several hosts, one that does not resolve is skipped as libpq would.
                if hosts.count > 1 { continue }
                throw error
            }
            for address in resolved {
                names.append(host)
                addresses.append(address)
                if !ports.isEmpty { addressPorts.append(ports.count == hosts.count ? ports[index] : ports[0]) }
            }
        }
        guard !addresses.isEmpty else { throw ResolveError.notFound }
        var pairs = [("host", names.joined(separator: ",")), ("hostaddr", addresses.joined(separator: ","))]
        if !addressPorts.isEmpty { pairs.append(("port", addressPorts.joined(separator: ","))) }
        return pairs
    }

    /// The `host` and `port` lists of a connection URL or key=value string
    /// (`PQconninfoParse`; `PGHOST` and `PGPORT` when it names none).
    private static func hostsAndPorts(url: String) -> (hosts: [String], ports: [String]) {
        // libpq reads them with getenv too.
        var host = getenv("PGHOST").map { String(cString: $0) }
        var port = getenv("PGPORT").map { String(cString: $0) }
        if let options = PQconninfoParse(url, nil) {
            defer { PQconninfoFree(options) }
            var cursor = options
            while let keyword = cursor.pointee.keyword {
                switch String(cString: keyword) {
                case "host": if let value = cursor.pointee.val { host = String(cString: value) }
                case "port": if let value = cursor.pointee.val { port = String(cString: value) }
                default: break
                }
                cursor += 1
            }
        }
        let split = { (list: String?) in list.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? [] }
        return (split(host), split(port))
    }

    /// Drives `PQconnectPoll` with `poll(2)` until the connection is made,
    /// fails, or `deadline` passes.
    private static func completeConnect(_ handle: OpaquePointer, deadline: ContinuousClock.Instant) throws {
        guard PQstatus(handle) != CONNECTION_BAD else {
            throw PostgresError.connection(message: String(cString: PQerrorMessage(handle)))
        }
        // As the libpq manual says: behave as if the last call returned WRITING.
        var state = PGRES_POLLING_WRITING
        while true {
            switch state {
            case PGRES_POLLING_OK:
                return
            case PGRES_POLLING_FAILED:
                throw PostgresError.connection(message: String(cString: PQerrorMessage(handle)))
            default:
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else { throw PostgresError.timeout }
                let events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT
                var descriptor = pollfd(fd: PQsocket(handle), events: Int16(events), revents: 0)
                let ready = poll(&descriptor, 1, Int32(max(1, remaining.milliseconds.rounded(.up))))
                if ready < 0, errno != EINTR { throw PostgresError.connectionFailed }
                if ready == 0 { continue }
                state = PQconnectPoll(handle)
            }
        }
    }

    deinit {
        PQfinish(self.handle)
    }

    /// How long a query may take client-side: the statement timeout plus a margin.
    private let queryDeadline: Duration

    /// The statement timeout plus a second for the server's answer to arrive.
    static func queryDeadline(_ settings: PostgresSettings) -> Duration {
        settings.statementTimeout + .seconds(1)
    }

    var isBroken: Bool {
        self.abandoned || PQstatus(self.handle) != CONNECTION_OK || PQtransactionStatus(self.handle) != PQTRANS_IDLE
    }

    /// Runs one statement with text parameters (`$1`, `$2`, … in `sql`).
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws -> PostgresRows {
        let sent = withOptionalCStringArray(parameters) { values in
            PQsendQueryParams(self.handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw self.connectionError() }
        let deadline = ContinuousClock.now + self.queryDeadline
        var last: OpaquePointer?
        defer { if let last { PQclear(last) } }
        while true {
            try self.waitUntilReady(deadline: deadline)
            guard let result = PQgetResult(self.handle) else { break }
            if let last { PQclear(last) }
            last = result
        }
        guard let result = last else { throw self.connectionError() }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            return Self.rows(of: result)
        default:
            if PQstatus(self.handle) != CONNECTION_OK { throw self.connectionError() }
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            throw PostgresError.query(sqlState: sqlState)
        }
    }

    /// Waits until a result can be read without blocking, up to `deadline`.
    private func waitUntilReady(deadline: ContinuousClock.Instant) throws {
        while PQisBusy(self.handle) == 1 {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                self.abandoned = true
                throw PostgresError.timeout
            }
            var descriptor = pollfd(fd: PQsocket(self.handle), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, remaining.milliseconds.rounded(.up))))
            if ready < 0, errno != EINTR { throw self.connectionError() }
            if ready > 0, PQconsumeInput(self.handle) == 0 { throw self.connectionError() }
        }
    }

    private func connectionError() -> PostgresError {
        self.abandoned = true
        return PostgresError.connection(message: String(cString: PQerrorMessage(self.handle)))
    }

    private static func rows(of result: OpaquePointer) -> PostgresRows {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            rows.append(
                (0..<columnCount).map { column in
                    PQgetisnull(result, Int32(row), Int32(column)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
                }
            )
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, rows: rows, affectedRows: affected)
    }
}

/// Calls `body` with a NULL-terminated-free array of C strings that live for the call.
func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStringArray(strings + [nil], body)
}

/// Like ``withCStringArray`` but keeps `nil` entries as NULL pointers (SQL NULL).
func withOptionalCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

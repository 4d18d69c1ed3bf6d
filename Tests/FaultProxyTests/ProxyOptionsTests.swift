import Testing

@testable import fault_proxy

/// The command line: what it accepts, and the one line it gives for what it does not.
struct ProxyOptionsTests {
    @Test func parsesTheAdminAddressAndEveryRoute() throws {
        let options = try #require(
            try ProxyOptions.parse([
                "--admin", "127.0.0.1:8090", "--route", "postgres=127.0.0.1:55442=postgres:5432", "--route", "redis=[::1]:56389=127.0.0.1:6379",
            ])
        )
        #expect(options.admin == Endpoint(host: "127.0.0.1", port: 8090))
        #expect(options.routes.map(\.name) == ["postgres", "redis"])
        #expect(options.routes[0].upstream == Endpoint(host: "postgres", port: 5432))
        #expect(options.routes[1].listen == Endpoint(host: "::1", port: 56389))
        #expect(options.routes[1].listen.description == "[::1]:56389")
        #expect(try ProxyOptions.parse(["--help"]) == nil)
    }

    @Test(arguments: [
        (["--route", "a=127.0.0.1:1=127.0.0.1:2"], "--admin is required"),
        (["--admin", "127.0.0.1:1"], "--route is required"),
        (["--admin", "localhost"], "--admin localhost: expected HOST:PORT"),
        (["--admin", "127.0.0.1:1", "--route", "a=127.0.0.1:70000=b:1"], "--route a=127.0.0.1:70000=b:1: expected NAME="),
        (["--admin", "127.0.0.1:1", "--route", "a/b=127.0.0.1:1=b:1"], "--route a/b=127.0.0.1:1=b:1: expected NAME="),
        (["--admin", "127.0.0.1:1", "--route", "a=127.0.0.1:1=b:0"], "--route a=127.0.0.1:1=b:0: expected NAME="),
        (["--admin", "127.0.0.1:1", "--route", "a=127.0.0.1:1=b:1", "--route", "a=127.0.0.1:2=b:1"], "--route a: the name is used twice"),
        (["--admin"], "--admin needs a value"),
        (["--verbose"], "unknown argument: --verbose"),
    ])
    func refusesWithOneLineNamingTheArgument(_ arguments: [String], _ message: String) {
        #expect {
            try ProxyOptions.parse(arguments)
        } throws: { error in
            "\(error)".hasPrefix(message) && !"\(error)".contains("\n")
        }
    }
}

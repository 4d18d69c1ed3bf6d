import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `fault-proxy`: parses the command line, starts the proxy, and stops on SIGTERM or SIGINT.
@main
struct FaultProxyCommand {
    static func main() async {
        let options: ProxyOptions
        do {
            guard let parsed = try ProxyOptions.parse(Array(CommandLine.arguments.dropFirst())) else {
                return Console.out(ProxyOptions.usage)
            }
            options = parsed
        } catch {
            Console.error("fault-proxy: \(error) (see --help)")
            exit(2)
        }
        let proxy: FaultProxy
        do {
            proxy = try await FaultProxy.start(options, group: MultiThreadedEventLoopGroup.singleton)
        } catch {
            Console.error("fault-proxy: \(error)")
            exit(1)
        }
        for route in proxy.routes {
            Console.out("fault-proxy: \(route.name) \(route.listen) -> \(route.upstream)")
        }
        Console.out("fault-proxy: admin \(proxy.admin)")
        let signal = await SignalWaiter.wait(for: [SIGTERM, SIGINT])
        await proxy.close()
        Console.out("fault-proxy: stopped (signal \(signal))")
        exit(0)
    }
}

import AsyncHTTPClient
import Shared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `resilience-demo`: the driver of scripts/demo/*.
@main
struct ResilienceDemo {
    static func main() async {
        let options: DemoOptions
        do {
            guard let parsed = try DemoOptions.parse(Array(CommandLine.arguments.dropFirst())) else {
                print(DemoOptions.usage)
                return
            }
            options = parsed
        } catch {
            FileOutput.writeAll("resilience-demo: \(error) (see --help)\n")
            exit(2)
        }
        let passed = await DemoRun(options: options).run()
        exit(passed ? 0 : 1)
    }
}

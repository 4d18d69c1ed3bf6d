import AsyncHTTPClient
import Foundation

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
            FileHandle.standardError.write(Data("resilience-demo: \(error) (see --help)\n".utf8))
            exit(2)
        }
        let passed = await DemoRun(options: options).run()
        exit(passed ? 0 : 1)
    }
}

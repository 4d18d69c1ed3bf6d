import Foundation

// embed-file INPUT OUTPUT TYPE: writes OUTPUT, a Swift file that extends TYPE
// with `static let embeddedBase64`, INPUT's bytes in base64 (exact bytes, and
// one string literal compiles fast whatever the file holds).
let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: embed-file INPUT OUTPUT TYPE\n".utf8))
    exit(2)
}
do {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: arguments[1]))
    let source = """
        // Generated at build time from \(URL(fileURLWithPath: arguments[1]).lastPathComponent) by embed-file; do not edit.
        extension \(arguments[3]) {
            static let embeddedBase64 = "\(bytes.base64EncodedString())"
        }

        """
    try Data(source.utf8).write(to: URL(fileURLWithPath: arguments[2]), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("embed-file: \(error)\n".utf8))
    exit(1)
}

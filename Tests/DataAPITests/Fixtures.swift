import Foundation
import Hummingbird
import HummingbirdTesting

extension TestClientProtocol {
    /// Sends JSON and returns the response.
    func json(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await self.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
    }
}

extension TestResponse {
    var text: String { String(buffer: self.body) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: self.body))
    }
}

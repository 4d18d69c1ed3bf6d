import Testing

@testable import Gateway

@Suite struct RequestTargetTests {
    @Test(arguments: [
        ("/api/items/1", "/api/items/1"),
        ("/api/items/1?x=/../y", "/api/items/1?x=/../y"),
        ("/api/./items/../items/2", "/api/items/2"),
        ("/api/items/2/.", "/api/items/2/"),
        ("/api/items/2/..", "/api/items/"),
        ("/api/%2e%2E/health", "/health"),
        ("/api/a%2Eb", "/api/a.b"),
        ("/api/a%20b/.x/..y/...", "/api/a%20b/.x/..y/..."),
        ("/api//items", "/api//items"),
        ("/", "/"),
        ("/.", "/"),
        ("*", "*"),
        ("http://host/api/items/./1?q", "/api/items/1?q"),
        ("HTTPS://host", "/"),
        ("http://host?q=1", "/?q=1"),
    ])
    func normalises(target: String, expected: String) throws {
        #expect(try RequestTarget.normalized(target) == expected)
    }

    @Test(arguments: [
        ("/..", EdgeRefusal.targetAboveRoot),
        ("/api/../../x", .targetAboveRoot),
        ("/api/items%2F1", .targetEncodedSeparator),
        ("/api/items%5c1", .targetEncodedSeparator),
        ("/api/items%00", .targetEncoding),
        ("/api/items%2", .targetEncoding),
        ("/api/items%g1", .targetEncoding),
        ("/api/items\\1", .targetEncoding),
        ("/api/items#frag", .targetEncoding),
        ("api/items", .targetForm),
        ("ftp://host/x", .targetForm),
        ("host:443", .targetForm),
    ])
    func refuses(target: String, refusal: EdgeRefusal) {
        #expect(throws: refusal) { try RequestTarget.normalized(target) }
    }
}

/// An item, as stored in PostgreSQL and sent as JSON.
struct Item: Sendable, Codable, Equatable {
    var id: Int
    var name: String
    var description: String?
    /// RFC 3339, UTC.
    var createdAt: String
    var updatedAt: String
    /// Starts at 1, grows by one on every update; the `ETag` is `"<version>"`.
    var version: Int

    var etag: String { "\"\(self.version)\"" }
}

/// The body of `POST /api/items` and `PUT /api/items/{id}`.
struct ItemInput: Sendable, Decodable, Equatable {
    var name: String?
    var description: String?
}

/// A page of items (keyset pagination by id).
struct ItemPage: Sendable, Codable, Equatable {
    var items: [Item]
    /// Pass as `after` to get the next page; `null` on the last page.
    var nextAfter: Int?

    private enum CodingKeys: String, CodingKey { case items, nextAfter }

    /// Writes `"nextAfter": null` on the last page (the synthesized encoder
    /// would leave the key out, and the contract says `null`).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.items, forKey: .items)
        try container.encode(self.nextAfter, forKey: .nextAfter)
    }
}

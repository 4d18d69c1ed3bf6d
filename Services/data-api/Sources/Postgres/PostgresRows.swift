/// The rows of a query result, copied out of libpq as text (the text format).
struct PostgresRows: Sendable {
    let columns: [String]
    let rows: [[String?]]
    /// The number of rows a command changed (`UPDATE`, `DELETE`, `INSERT`).
    let affectedRows: Int

    var first: PostgresRow? { self.rows.first.map { PostgresRow(columns: self.columns, values: $0) } }

    var all: [PostgresRow] { self.rows.map { PostgresRow(columns: self.columns, values: $0) } }
}

/// One row, read by column name.
struct PostgresRow: Sendable {
    let columns: [String]
    let values: [String?]

    subscript(_ name: String) -> String? {
        guard let index = self.columns.firstIndex(of: name) else { return nil }
        return self.values[index]
    }

    func int(_ name: String) -> Int? { self[name].flatMap { Int($0) } }
}

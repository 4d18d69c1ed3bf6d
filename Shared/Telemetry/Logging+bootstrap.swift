import Logging

extension LoggingSystem {
    /// Bootstraps swift-log once per process: logfmt-style lines on stderr at
    /// the level of `LOG_LEVEL` (trace, debug, info, notice, warning, error, critical).
    public static func bootstrapService(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension ConfigReader {
    /// `LOG_LEVEL`, default `info`.
    public func logLevel() throws -> Logger.Level {
        try self.choice("LOG_LEVEL", default: .info)
    }
}

extension Logger.Level: ConfigChoice {}

import Logging

extension LoggingSystem {
    /// Bootstraps swift-log once per process: lines on stderr at the level of
    /// `LOG_LEVEL` (trace, debug, info, notice, warning, error, critical), in
    /// the format of `LOG_FORMAT` (logfmt-style key=value lines, or JSON).
    public static func bootstrapService(level: Logger.Level, format: LogFormat) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .logfmt:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

extension EnvironmentReader {
    /// `LOG_LEVEL`, default `info`.
    public func logLevel() throws -> Logger.Level {
        try self.choice("LOG_LEVEL", default: .info)
    }

    /// `LOG_FORMAT`, default `logfmt`.
    public func logFormat() throws -> LogFormat {
        try self.choice("LOG_FORMAT", default: .logfmt)
    }
}

extension Logger.Level: ConfigChoice {}

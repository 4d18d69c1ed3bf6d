/// How log lines are written (`LOG_FORMAT`): `logfmt`, key=value lines for a
/// terminal (the default), or `json`, one JSON object per line for a log shipper.
public enum LogFormat: String, ConfigChoice, Sendable {
    case logfmt
    case json
}

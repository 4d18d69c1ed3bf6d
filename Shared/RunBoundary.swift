/// Where ``runPeriodically(every:from:jitter:until:_:)`` measures each
/// interval from.
public enum RunBoundary: Sendable {
    /// From the start of the last run: a steady cadence (a run that takes
    /// longer than the interval is followed by the next at once).
    case startOfRun
    /// From the end of the last run: a pause of the whole interval between
    /// two runs, however long a run takes.
    case endOfRun
}

/// A value chosen from a fixed set by its raw string.
public protocol ConfigChoice: RawRepresentable<String>, CaseIterable {}

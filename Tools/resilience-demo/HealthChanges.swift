/// The timeline events between two health views.
enum HealthChanges {
    static func between(_ old: HealthView, _ new: HealthView) -> [(Timeline.Kind, String)] {
        var events: [(Timeline.Kind, String)] = []
        if old.gateway != new.gateway {
            let why = new.upstreams.sorted { $0.key < $1.key }.filter { $0.value.status != "pass" }
                .map { "\(HealthView.label($0.key)) \(Self.describe($0.value))" }
            let suffix = why.isEmpty ? "" : " [" + why.joined(separator: "; ") + "]"
            events.append((Self.kind(old.gateway, new.gateway), "gateway /health: \(old.gateway ?? "no answer") -> \(new.gateway ?? "no answer")\(suffix)"))
        }
        for (id, upstream) in new.upstreams.sorted(by: { $0.key < $1.key }) {
            guard let before = old.upstreams[id] else {
                // A new address (compose: a restarted replica, re-resolved by the gateway).
                if !old.upstreams.isEmpty { events.append((.note, "upstream \(HealthView.label(id)) appeared: \(Self.describe(upstream))")) }
                continue
            }
            guard before != upstream else { continue }
            if !before.ejected, upstream.ejected {
                events.append((.endpointEjected, "endpoint \(HealthView.label(id)) ejected (consecutive errors)"))
            } else if before.ejected, upstream.status != "fail" {
                events.append((.endpointReturned, "endpoint \(HealthView.label(id)) back from ejection"))
            }
            events.append((Self.kind(before.status, upstream.status), "upstream \(HealthView.label(id)): \(before.status) -> \(Self.describe(upstream))"))
        }
        for id in old.upstreams.keys.sorted() where new.upstreams[id] == nil && new.gateway != nil {
            events.append((.note, "upstream \(HealthView.label(id)) gone from the gateway's list"))
        }
        for (id, breaker) in new.breakers.sorted(by: { $0.key < $1.key }) where old.breakers[id] != breaker {
            let kind: Timeline.Kind = breaker == "open" ? .breakerOpened : breaker == "closed" ? .breakerClosed : .note
            events.append((kind, "breaker \(HealthView.label(id)): \(old.breakers[id] ?? "?") -> \(breaker)"))
        }
        if old.serviceReady != new.serviceReady, let ready = new.serviceReady {
            events.append((Self.kind(Self.word(old.serviceReady), Self.word(ready)), "affected replica /health/ready: \(old.serviceReady ?? "?") -> \(ready)"))
        }
        return events
    }

    static func describe(_ upstream: HealthView.Upstream) -> String {
        var text = upstream.status
        var details = upstream.failingChecks
        if let output = upstream.output { details.insert(output, at: 0) }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        return text
    }

    /// "503 fail (draining)" -> "fail"; "no answer" -> "fail".
    static func word(_ ready: String?) -> String? {
        guard let ready else { return nil }
        let parts = ready.split(separator: " ")
        return parts.count >= 2 && parts[0] != "no" ? String(parts[1]) : "fail"
    }

    static func kind(_ old: String?, _ new: String?) -> Timeline.Kind {
        let before = HealthView.severity(old), after = HealthView.severity(new)
        return after > before ? .healthDegraded : after < before ? .healthRecovered : .note
    }
}

// The Kubernetes name rules (DNS-1123) for Argo CD applications, namespaces and Deployments:
// lowercase ASCII only, so nothing but a plain name can reach a path.
extension URLValueKind {
    static let maxDNSLabelLength = 63
    static let maxDNSSubdomainLength = 253

    /// A DNS-1123 label: 1-63 lowercase letters, digits and `-`, a letter or digit at each end.
    static func dnsLabelProblem(_ value: String) -> String? {
        guard value.utf8.count <= maxDNSLabelLength else { return "is longer than \(maxDNSLabelLength) characters" }
        return labelProblem(Substring(value), allowDots: false)
    }

    /// A DNS-1123 subdomain: at most 253 characters, dot-separated labels (Kubernetes'
    /// `IsDNS1123Subdomain`, which sets no length limit per label).
    static func dnsSubdomainProblem(_ value: String) -> String? {
        guard !value.isEmpty else { return "is empty" }
        guard value.utf8.count <= maxDNSSubdomainLength else {
            return "is longer than \(maxDNSSubdomainLength) characters"
        }
        for label in value.split(separator: ".", omittingEmptySubsequences: false) {
            if let problem = labelProblem(label, allowDots: true) { return problem }
        }
        return nil
    }

    private static func labelProblem(_ label: Substring, allowDots: Bool) -> String? {
        let allowed = label.unicodeScalars.allSatisfy {
            switch $0 {
            case "a"..."z", "0"..."9", "-": return true
            default: return false
            }
        }
        guard allowed else {
            return allowDots
                ? "may hold only lowercase ASCII letters, digits, '-' and '.'"
                : "may hold only lowercase ASCII letters, digits and '-'"
        }
        guard !label.isEmpty else { return allowDots ? "has an empty part" : "is empty" }
        guard !label.hasPrefix("-"), !label.hasSuffix("-") else { return "must start and end with a letter or digit" }
        return nil
    }
}

/// The operator's version, also the audit `actor` (`ai-operator-v<version>`).
public enum OperatorVersion {
    public static let current = "0.1.0"
}

/// Who may approve and command (SPEC 10): a login in `APPROVERS` or an active member of
/// `APPROVER_TEAM`.
public protocol ApproverChecking: Sendable {
    func isAuthorized(_ login: String) async -> Bool
}

/// CI results of one commit, as GitHub reports them (check runs and the combined status).
public struct CIReport: Sendable, Equatable, Codable {
    public struct CheckRun: Sendable, Equatable, Codable {
        public var name: String
        /// `nil` or `.pending` while the run is `queued` or `in_progress`.
        public var conclusion: CheckConclusion?
        public init(name: String, conclusion: CheckConclusion?) {
            self.name = name
            self.conclusion = conclusion
        }
    }
    public struct Status: Sendable, Equatable, Codable {
        public var context: String
        public var state: StatusState
        public init(context: String, state: StatusState) {
            self.context = context
            self.state = state
        }
    }
    public var sha: String
    public var checkRuns: [CheckRun]
    /// The combined status state; `pending` with zero statuses for repos that only use checks.
    public var combinedState: StatusState
    public var statuses: [Status]

    public init(sha: String, checkRuns: [CheckRun], combinedState: StatusState = .pending, statuses: [Status] = []) {
        self.sha = sha
        self.checkRuns = checkRuns
        self.combinedState = combinedState
        self.statuses = statuses
    }

    /// The SPEC 6 rule, used for candidates and for I6.
    public var verdict: CIVerdict { CIVerdict(self) }
}

/// The outcome of the "CI passed" rule of SPEC 6.
public enum CIVerdict: String, Sendable, Equatable, Codable {
    case passed, pending, failed

    /// At least one check run or status; every run completed `success`/`neutral`/`skipped`;
    /// combined status `success` or no statuses at all. Anything still running is pending;
    /// any other conclusion, or a status `failure`/`error`, is failed.
    public init(_ report: CIReport) {
        var pending = false
        for run in report.checkRuns {
            guard let conclusion = run.conclusion, conclusion != .pending else {
                pending = true
                continue
            }
            if !conclusion.passed {
                self = .failed
                return
            }
        }
        for status in report.statuses where status.state == .failure || status.state == .error {
            self = .failed
            return
        }
        if !report.statuses.isEmpty {
            switch report.combinedState {
            case .failure, .error:
                self = .failed
                return
            case .pending: pending = true
            case .success: break
            }
        }
        if report.checkRuns.isEmpty && report.statuses.isEmpty {
            self = .pending
            return
        }
        self = pending ? .pending : .passed
    }
}

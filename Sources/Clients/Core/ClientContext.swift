/// What every client shares: the transport, the recorder (audit + metrics), the clock used
/// for retries, the retry policy and the `User-Agent`.
public struct ClientContext: Sendable {
    public var transport: any HTTPTransporting
    public var recorder: CallRecorder
    public var sleeper: any Sleeper
    public var retryPolicy: RetryPolicy
    public var userAgent: String

    public init(
        transport: any HTTPTransporting,
        recorder: CallRecorder = CallRecorder(),
        sleeper: any Sleeper = TaskSleeper(),
        retryPolicy: RetryPolicy = RetryPolicy(),
        userAgent: String = "ai-operator/0.1.0"
    ) {
        self.transport = transport
        self.recorder = recorder
        self.sleeper = sleeper
        self.retryPolicy = retryPolicy
        self.userAgent = userAgent
    }

    public var redactor: SecretRedactor { recorder.redactor }
}

import Foundation
import Storage

/// What the HTTP handlers need to know about the service's lifecycle: the store once it is
/// open, and readiness (store open and recovery done).
final class ServiceState: @unchecked Sendable {
    // Safe: both fields are only touched under `lock`.
    private let lock = NSLock()
    private var _store: Store?
    private var _ready = false
    private var _engine: Engine?
    private var _router: InboxRouter?

    var store: Store? {
        lock.lock()
        defer { lock.unlock() }
        return _store
    }
    var inbox: Inbox? { store?.inbox }
    var ready: Bool {
        lock.lock()
        defer { lock.unlock() }
        return _ready
    }

    func opened(_ store: Store) {
        lock.lock()
        _store = store
        lock.unlock()
    }

    var engine: Engine? {
        lock.lock()
        defer { lock.unlock() }
        return _engine
    }
    var router: InboxRouter? {
        lock.lock()
        defer { lock.unlock() }
        return _router
    }
    func running(_ engine: Engine, _ router: InboxRouter) {
        lock.lock()
        _engine = engine
        _router = router
        lock.unlock()
    }
    func markReady(_ isReady: Bool) {
        lock.lock()
        _ready = isReady
        lock.unlock()
    }

    /// Forgets the store (at shutdown): later writes answer 503.
    func closing() -> Store? {
        lock.lock()
        defer { lock.unlock() }
        _ready = false
        let closedStore = _store
        _store = nil
        return closedStore
    }
}

// The request deadline: each connection's clock from libmicrohttpd's open and close notices,
// and a periodic sweep that closes the connections whose request is overdue. libmicrohttpd's own
// timeout is an idle timeout (each byte restarts it); this one is not.
import CMicroHTTPD
import Foundation

extension HTTPServer {
    /// libmicrohttpd opened or closed a connection (on the thread that serves it).
    func connectionNotice(
        _ connection: OpaquePointer?, _ context: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
        _ code: MHD_ConnectionNotificationCode
    ) {
        guard let context else { return }
        if code == .CONNECTION_NOTIFY_STARTED {
            guard let connection, let socket = ConnectionInfo.socket(of: connection) else { return }
            let clock = ConnectionClock(
                socket: socket, allowance: deadlineNanoseconds, now: DispatchTime.now().uptimeNanoseconds)
            context.pointee = Unmanaged.passRetained(clock).toOpaque()
            lock.lock()
            connections[ObjectIdentifier(clock)] = clock
            lock.unlock()
        } else if let raw = context.pointee {
            let clock = Unmanaged<ConnectionClock>.fromOpaque(raw).takeRetainedValue()
            context.pointee = nil
            // Under the lock: from here on the sweep cannot touch the socket libmicrohttpd closes next.
            lock.lock()
            connections[ObjectIdentifier(clock)] = nil
            lock.unlock()
        }
    }

    /// A timer that sweeps a few times per deadline (nil when there is no deadline).
    func startSweeper() -> DispatchSourceTimer? {
        guard deadlineNanoseconds > 0 else { return nil }
        let interval = min(1, max(0.05, configuration.requestDeadlineSeconds / 4))
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "http-server.request-deadline"))
        timer.schedule(
            deadline: .now() + interval, repeating: interval, leeway: .milliseconds(Int(interval * 100)))
        timer.setEventHandler { [weak self] in self?.sweep() }
        timer.resume()
        return timer
    }

    /// Closes every connection whose request is overdue.
    func sweep() {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        for clock in connections.values where clock.isOverdue(now: now) { clock.cut() }
        lock.unlock()
    }
}

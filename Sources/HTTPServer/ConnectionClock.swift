// Per connection: by when the request being read must have arrived whole (the request
// deadline), and its socket, so that a sweep can close a connection that dawdles past it.
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One connection's request deadline. The connection's worker thread moves it (a request
/// begins, arrives whole, ends); the sweep reads it and closes the socket of a connection past
/// it. A byte now and then moves nothing: only those three steps do.
final class ConnectionClock: Sendable {
    let socket: Int32
    /// How long a request may take to arrive whole, in nanoseconds (0: no deadline).
    private let allowance: UInt64
    /// Uptime nanoseconds by which the request being read must be whole; 0 while there is none
    /// to wait for (one arrived whole and is being answered, or the deadline is off).
    private let due: Atomic<UInt64>
    /// Requests begun on this connection.
    private let begun = Atomic<Int>(0)

    init(socket: Int32, allowance: UInt64, now: UInt64) {
        self.socket = socket
        self.allowance = allowance
        // The first request's first byte comes right after the connection opens.
        due = Atomic(allowance == 0 ? 0 : now + allowance)
    }

    /// The request's headers are in. A later request on a kept-alive connection starts its
    /// clock here (its first byte is not observable): the wait before it was bounded by the
    /// clock restarted when the previous one ended.
    func requestBegins(now: UInt64) {
        if begun.add(1, ordering: .relaxed).oldValue > 0, allowance > 0 {
            due.store(now + allowance, ordering: .relaxed)
        }
    }

    /// The request is whole: its answer may take as long as it takes.
    func requestArrived() { due.store(0, ordering: .relaxed) }

    /// The request is answered: the next one must arrive whole within the deadline from now.
    func requestEnded(now: UInt64) {
        if allowance > 0 { due.store(now + allowance, ordering: .relaxed) }
    }

    func isOverdue(now: UInt64) -> Bool {
        let limit = due.load(ordering: .relaxed)
        return limit != 0 && now > limit
    }

    /// Closes the connection from outside libmicrohttpd: its worker then reads the end of the
    /// stream and closes it as it would a client that hung up. The caller guarantees the socket
    /// is still the connection's (the server's lock, held from its opening to its closing).
    func cut() {
        due.store(0, ordering: .relaxed)
        shutdown(socket, Int32(SHUT_RDWR))
    }
}

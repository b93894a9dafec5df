// Decoding of the body our Argo CD notifications template sends to `POST /webhooks/argocd`
// (see webhooks/argocd-notifications.yaml). The body only says which application to check
// now; it is never trusted as health data (SPEC section 2).
import Foundation
import RollbackCore

/// Why an Argo CD notification body was refused (all map to HTTP 400).
public enum ArgoCDNotificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not strict RFC 8259 JSON.
    case notJSON(JSONScan.Failure)
    /// Valid JSON whose top level is not an object.
    case notAnObject
    /// No `app` member.
    case missingApp
    /// `app` is present but not a string (e.g. `null`, a number).
    case appNotString
    /// `app` is the empty string.
    case emptyApp

    public var description: String {
        switch self {
        case .notJSON(let failure): "body is not JSON: \(failure)"
        case .notAnObject: "body is not a JSON object"
        case .missingApp: "no \"app\" member"
        case .appNotString: "\"app\" is not a string"
        case .emptyApp: "\"app\" is empty"
        }
    }
}

/// Decodes `{"app": "<name>", "trigger"?: "...", "health"?: "...", "revision"?: "..."}`.
/// `trigger`, `health` and `revision` are optional; when present with a non-string value
/// (e.g. `null` from `toJson` of a missing field) they decode as `nil`. Other members are
/// ignored. Never traps on any input.
public enum ArgoCDNotificationDecoder {
    public static func decode(body: [UInt8]) -> Result<ArgoCDNotification, ArgoCDNotificationError> {
        let scan = JSONScan.validate(body)
        if let failure = scan.failure { return .failure(.notJSON(failure)) }
        guard scan.topLevelIsObject else { return .failure(.notAnObject) }
        do {
            let notification = try JSONDecoder().decode(Body.self, from: Data(body)).notification
            return notification.app.isEmpty ? .failure(.emptyApp) : .success(notification)
        } catch let error as ArgoCDNotificationError {
            return .failure(error)
        } catch {
            return .failure(.notAnObject)  // unreachable after JSONScan; fail closed anyway
        }
    }

    public static func decode(body: UnsafeRawBufferPointer) -> Result<ArgoCDNotification, ArgoCDNotificationError> {
        decode(body: Array(body))
    }

    private struct Body: Decodable {
        enum Key: String, CodingKey { case app, trigger, health, revision }
        let notification: ArgoCDNotification

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            guard container.contains(.app) else { throw ArgoCDNotificationError.missingApp }
            guard let app = try? container.decode(String.self, forKey: .app) else {
                throw ArgoCDNotificationError.appNotString
            }
            func optional(_ key: Key) -> String? { (try? container.decodeIfPresent(String.self, forKey: key)) ?? nil }
            notification = ArgoCDNotification(
                app: app, trigger: optional(.trigger), health: optional(.health),
                revision: optional(.revision))
        }
    }
}

// The JSON coding of the engine's stored rows (apps, machines, attempts, quotas): sorted keys
// and dates as milliseconds, the same for every write and read.
import Foundation

/// The encoder and decoder of the engine's stored JSON columns.
enum EngineJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()
}

import CMicroHTTPD
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The C callbacks. They live in a type in a non-main file and only forward (Swift 6 trap:
/// closures at the top level of main.swift are MainActor-isolated and crash on C threads).
enum MHDCallbacks {
    static let access: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadSize, conCls in
        guard let cls else { return .NO }
        return Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
            .access(connection, url, method, uploadData, uploadSize, conCls)
    }

    static let acceptPolicy: MHD_AcceptPolicyCallback = { cls, _, _ in
        guard let cls else { return .NO }
        return Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().acceptsConnections() ? .YES : .NO
    }

    static let completed: MHD_RequestCompletedCallback = { cls, _, conCls, _ in
        guard let cls else { return }
        Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().completed(conCls)
    }

    static let connectionNotice: MHD_NotifyConnectionCallback = { cls, connection, context, code in
        guard let cls else { return }
        Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().connectionNotice(connection, context, code)
    }

    static let collect: MHD_KeyValueIterator = { cls, _, key, value in
        guard let cls, let key else { return .YES }
        let box = Unmanaged<ValueBox>.fromOpaque(cls).takeUnretainedValue()
        let name = box.lowercaseKeys ? asciiLowercased(key) : String(cString: key)
        box.values[name] = value.map { String(cString: $0) } ?? ""
        return .YES
    }

    /// A header name with its letters lowercased, built in one pass: header names are ASCII
    /// tokens. Anything else takes the general path (`String(cString:)`, then `lowercased()`).
    static func asciiLowercased(_ name: UnsafePointer<CChar>) -> String {
        let count = strlen(name)
        let raw = UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self)
        for i in 0..<count where raw[i] >= 0x80 { return String(cString: name).lowercased() }
        return String(unsafeUninitializedCapacity: count) { out in
            for i in 0..<count {
                let byte = raw[i]
                out[i] = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
            }
            return count
        }
    }
}

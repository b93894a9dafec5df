import CCurl

/// `curl_global_init` exactly once per process, before the first handle is created.
enum CurlGlobal {
    private static let result: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    static func ensureInitialized() -> Bool { result == CURLE_OK }
}

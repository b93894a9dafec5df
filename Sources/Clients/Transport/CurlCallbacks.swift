import CCurl

/// libcurl's C callbacks. `userdata` is an unretained `CurlTransfer`, alive in the
/// transport's table of active transfers for as long as the easy handle exists.
enum CurlCallbacks {
    static let write: curl_write_callback = { ptr, size, nmemb, userdata in
        let byteCount = size * nmemb
        guard let userdata else { return 0 }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
        guard byteCount > 0, let ptr else { return byteCount }
        // Returning anything but byteCount aborts the transfer (CURLE_WRITE_ERROR).
        return transfer.append(UnsafeRawBufferPointer(start: ptr, count: byteCount)) ? byteCount : 0
    }

    static let header: curl_write_callback = { ptr, size, nmemb, userdata in
        let byteCount = size * nmemb
        guard let userdata, let ptr, byteCount > 0 else { return byteCount }
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: ptr, count: byteCount)
        transfer.headerLine(String(decoding: bytes, as: UTF8.self))
        return byteCount
    }
}

extension String {
    /// `prefix` followed by `scalars`, encoded straight into UTF-8: appending
    /// them to a `String.UnicodeScalarView` went through a generic path that
    /// cost about 35 ns a character, a few percent of a batched sample's time.
    init(_ prefix: String, followedBy scalars: [Unicode.Scalar]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.utf8.count + scalars.count)
        bytes.append(contentsOf: prefix.utf8)
        for scalar in scalars {
            if scalar.isASCII {
                bytes.append(UInt8(truncatingIfNeeded: scalar.value))
            } else {
                UTF8.encode(scalar) { bytes.append($0) }
            }
        }
        self.init(decoding: bytes, as: UTF8.self)
    }
}

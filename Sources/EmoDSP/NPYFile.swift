import Foundation

/// Reads and writes float32 arrays in numpy's `.npy` format (C order, little-endian).
///
/// Writes version 1.0 with the header padded by spaces and a newline so that the data starts at a
/// multiple of 64 bytes, which is what `numpy.save` produces and `numpy.load` expects.
/// Reads versions 1.0, 2.0 and 3.0 with dtype `<f4` (or `<f8`, converted to Float) in C order.
public enum NPYFile {
    /// A loaded array: its shape and its values in C order.
    public struct Array: Sendable, Equatable {
        /// Dimensions, outermost first.
        public var shape: [Int]
        /// Values in C (row-major) order.
        public var values: [Float]
    }

    /// The header of an `.npy` file (magic, version 1.0, length, dictionary padded to 64 bytes).
    static func header(shape: [Int], count: Int) throws -> [UInt8] {
        let expected = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), expected == count else {
            throw AudioError(.invalidParameter, reason: "NPY shape \(shape) holds \(expected) values, got \(count)")
        }
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // magic (6) + version (2) + length (2) + dictionary + '\n' must be a multiple of 64.
        let unpadded = 10 + dictionary.utf8.count + 1
        dictionary += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = UInt16(dictionary.utf8.count)
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xff), UInt8(length >> 8)]
            + Swift.Array(dictionary.utf8)
    }

    /// The bytes of an `.npy` file holding `values` with `shape` (product of shape = values.count).
    public static func encode(values: [Float], shape: [Int]) throws -> Data {
        var data = Data(try header(shape: shape, count: values.count))
        values.withUnsafeBytes { data.append(contentsOf: $0) }  // little-endian hosts: memory = file bytes
        return data
    }

    /// Writes `values` with `shape` to `path`: to a temporary name in the same folder, then renamed, so a
    /// reader never sees a partial file. Header and data go out in one `write` call.
    public static func write(values: [Float], shape: [Int], to path: String) throws {
        var buffer: [UInt8] = []
        try values.withUnsafeBufferPointer { source in
            try write(shape: shape, count: values.count, to: path, buffer: &buffer) { destination in
                if let base = source.baseAddress { destination.update(from: base, count: source.count) }
            }
        }
    }

    /// Writes a row-major `rows` × `columns` matrix transposed, as a `columns` × `rows` array (a frames × bins
    /// spectrogram as librosa's bins × frames), without an intermediate array. `buffer` is scratch memory
    /// that a caller writing many files passes again each time.
    public static func writeTransposed(
        _ values: [Float], rows: Int, columns: Int, to path: String, buffer: inout [UInt8]
    ) throws {
        guard rows * columns == values.count else {
            throw AudioError(.invalidParameter, reason: "a \(rows) × \(columns) matrix holds \(rows * columns) values, got \(values.count)")
        }
        try values.withUnsafeBufferPointer { source in
            try write(shape: [columns, rows], count: values.count, to: path, buffer: &buffer) { destination in
                guard let input = source.baseAddress else { return }
                // Blocks of 16 rows: reads stay in a few cache lines, writes are 16 consecutive floats.
                var row0 = 0
                while row0 < rows {
                    let rowEnd = min(row0 + 16, rows)
                    for column in 0..<columns {
                        let output = destination + column * rows
                        for row in row0..<rowEnd { output[row] = input[row * columns + column] }
                    }
                    row0 = rowEnd
                }
            }
        }
    }

    /// Writes an array of `count` floats with `shape`, filled in place by `fill`, through `buffer` (resized
    /// as needed): header and data in one `write` to a temporary name, then renamed.
    public static func write(
        shape: [Int], count: Int, to path: String, buffer: inout [UInt8], fill: (UnsafeMutablePointer<Float>) -> Void
    ) throws {
        let head = try header(shape: shape, count: count)
        let total = head.count + 4 * count
        if buffer.count < total { buffer = [UInt8](repeating: 0, count: total) }
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw AudioError(.writeFailed, path: path, reason: String(cString: strerror(errno)))
        }
        let ok = buffer.withUnsafeMutableBytes { raw -> Bool in
            let base = raw.baseAddress!
            head.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: head.count) }
            // The header is a multiple of 64 bytes long, so the data is aligned; little-endian hosts:
            // memory = file bytes.
            fill((base + head.count).bindMemory(to: Float.self, capacity: count))
            var offset = 0
            while offset < total {
                let n = Foundation.write(fd, base + offset, total - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        let reason = ok ? "" : String(cString: strerror(errno))
        if close(fd) != 0 || !ok {
            unlink(temporary)
            throw AudioError(.writeFailed, path: path, reason: ok ? "close failed" : reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw AudioError(.writeFailed, path: path, reason: reason)
        }
    }

    /// Reads the `.npy` file at `path`.
    public static func read(_ path: String) throws -> Array {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AudioError(.fileMissing, path: path, reason: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AudioError(.unreadable, path: path, reason: "cannot read the file")
        }
        do {
            return try decode(data)
        } catch var error as AudioError {
            error.path = path
            throw error
        }
    }

    /// Parses `.npy` bytes.
    public static func decode(_ data: Data) throws -> Array {
        let bytes = [UInt8](data)
        func fail(_ reason: String) -> AudioError { AudioError(.unsupportedFormat, reason: reason) }
        guard bytes.count >= 10, bytes[0] == 0x93, Swift.Array(bytes[1..<6]) == Swift.Array("NUMPY".utf8) else {
            throw fail("not an .npy file (missing the \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy version \(major).\(bytes[7]) (supported: 1.0, 2.0, 3.0)")
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated .npy header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return String(header[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = field("descr"), let order = field("fortran_order"), let shapeField = field("shape") else {
            throw fail("the .npy header lacks descr, fortran_order or shape: \(header)")
        }
        let isFloat32 = descr.hasPrefix("'<f4'")
        let isFloat64 = descr.hasPrefix("'<f8'")
        guard isFloat32 || isFloat64 else {
            throw fail("dtype \(descr.prefix(while: { $0 != "," })) is not supported (only '<f4' and '<f8')")
        }
        guard order.hasPrefix("False") else { throw fail("Fortran-order arrays are not supported") }
        guard let open = shapeField.firstIndex(of: "("), let close = shapeField.firstIndex(of: ")") else {
            throw fail("cannot parse the shape in \(header)")
        }
        let shape = shapeField[shapeField.index(after: open)..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let count = shape.reduce(1, *)
        let dataStart = headerStart + headerLength
        let itemSize = isFloat32 ? 4 : 8
        guard bytes.count - dataStart >= count * itemSize else {
            throw AudioError(
                .truncated, reason: "the .npy data holds \(bytes.count - dataStart) bytes, shape \(shape) needs \(count * itemSize)")
        }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + dataStart
            for i in 0..<count {
                if isFloat32 {
                    values[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                } else {
                    values[i] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            }
        }
        return Array(shape: shape, values: values)
    }
}

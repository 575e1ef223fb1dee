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

    /// The bytes of an `.npy` file holding `values` with `shape` (product of shape = values.count).
    public static func encode(values: [Float], shape: [Int]) throws -> Data {
        let expected = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), expected == values.count else {
            throw AudioError(
                .invalidParameter, reason: "NPY shape \(shape) holds \(expected) values, got \(values.count)")
        }
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let length = UInt16(header.utf8.count)
        data.append(UInt8(length & 0xff))
        data.append(UInt8(length >> 8))
        data.append(contentsOf: Swift.Array(header.utf8))
        values.withUnsafeBufferPointer { buffer in
            // Little-endian hosts only (x86-64, arm64): the in-memory bytes are the file bytes.
            data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self), count: buffer.count * 4))
        }
        return data
    }

    /// Writes `values` with `shape` to `path` (atomically: a temporary name, then a rename).
    public static func write(values: [Float], shape: [Int], to path: String) throws {
        let data = try encode(values: values, shape: shape)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw AudioError(.writeFailed, path: path, reason: "\(error.localizedDescription)")
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

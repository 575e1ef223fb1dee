import Foundation

/// A problem reading or writing a `.npy` file.
public struct NPYError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// Reads a NumPy `.npy` file holding little-endian float32 (`<f4`) in C order (format 1.0–3.0).
/// Returns the shape (empty for a 0-d array) and the elements in row-major order.
public func readNPY(_ path: String) throws -> (shape: [Int], data: [Float]) {
    guard let bytes = FileManager.default.contents(atPath: path) else {
        throw NPYError(path: path, message: "cannot read the file")
    }
    let data = [UInt8](bytes)
    guard data.count >= 10, data[0] == 0x93, Array(data[1...5]) == Array("NUMPY".utf8) else {
        throw NPYError(path: path, message: "not a .npy file (magic \\x93NUMPY missing)")
    }
    let major = data[6]
    let headerLength: Int
    let headerStart: Int
    if major == 1 {
        headerLength = Int(data[8]) | Int(data[9]) << 8
        headerStart = 10
    } else if major == 2 || major == 3 {
        guard data.count >= 12 else { throw NPYError(path: path, message: "truncated header") }
        headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
        headerStart = 12
    } else {
        throw NPYError(path: path, message: "unsupported .npy version \(major) (expected 1, 2 or 3)")
    }
    guard data.count >= headerStart + headerLength,
          let header = String(bytes: data[headerStart..<(headerStart + headerLength)], encoding: .utf8)
    else { throw NPYError(path: path, message: "truncated or unreadable header") }
    guard header.contains("'descr': '<f4'") else {
        throw NPYError(path: path, message: "dtype must be little-endian float32 '<f4'; header: \(header)")
    }
    guard header.contains("'fortran_order': False") else {
        throw NPYError(path: path, message: "Fortran-ordered arrays are not supported")
    }
    guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
        throw NPYError(path: path, message: "no shape in header: \(header)")
    }
    let shape = try header[open.upperBound..<close].split(separator: ",").map { part -> Int in
        let text = part.trimmingCharacters(in: .whitespaces)
        guard let value = Int(text) else { throw NPYError(path: path, message: "bad shape entry '\(text)'") }
        return value
    }
    let count = shape.reduce(1, *)
    let start = headerStart + headerLength
    guard data.count - start == count * 4 else {
        throw NPYError(path: path, message: "expected \(count * 4) data bytes for shape \(shape), found \(data.count - start)")
    }
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBytes { destination in
        data.withUnsafeBytes { source in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start...]))
        }
    }
    return (shape, values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) })
}

/// Reads a `.npy` float32 file into a `Tensor`.
public func readNPYTensor(_ path: String) throws -> Tensor {
    let (shape, data) = try readNPY(path)
    return Tensor(shape: shape, scalars: data)
}

/// Writes float32 data as a NumPy `.npy` file (format 1.0, little-endian, C order).
public func writeNPY(_ path: String, shape: [Int], data: [Float]) throws {
    precondition(shape.reduce(1, *) == data.count, "writeNPY: shape \(shape) does not match \(data.count) values")
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
    // Pad with spaces so that the data starts on a 64-byte boundary; the header ends with '\n'.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    let length = header.utf8.count
    bytes += [UInt8(length & 0xff), UInt8(length >> 8)]
    bytes += Array(header.utf8)
    let littleEndian = data.map { $0.bitPattern.littleEndian }
    littleEndian.withUnsafeBytes { bytes.append(contentsOf: $0) }
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw NPYError(path: path, message: "cannot write the file")
    }
}

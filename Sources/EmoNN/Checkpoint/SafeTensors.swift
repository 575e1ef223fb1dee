import EmoJSON
import EmoTensor
import Foundation

/// A problem reading or writing a safetensors file, with the file and a hint when there is one.
public struct SafeTensorsError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var hint: String?

    public init(path: String, message: String, hint: String? = nil) {
        self.path = path
        self.message = message
        self.hint = hint
    }

    public var description: String { "\(path): \(message)" + (hint.map { " (\($0))" } ?? "") }
}

/// A safetensors file in memory: named Float32 tensors in order plus a string-to-string metadata map.
///
/// Layout (https://github.com/huggingface/safetensors): 8 bytes, the header length n as a
/// little-endian UInt64; n bytes of UTF-8 JSON, padded with spaces to a multiple of 8:
/// `{"__metadata__": {"key": "value", …}, "name": {"dtype": "F32", "shape": [d0, …],
/// "data_offsets": [begin, end]}, …}`; then the raw little-endian tensor bytes, offsets relative to
/// the end of the header, tensors stored back to back in the header's order. Writing produces F32
/// only; reading also accepts I64 (PyTorch's `num_batches_tracked`), converted to Float.
public struct SafeTensors: Sendable {
    /// The tensors, in file order.
    public var tensors: [(name: String, tensor: Tensor)]
    /// The `__metadata__` map.
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensors by name.
    public var dictionary: [String: Tensor] {
        Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { _, last in last })
    }

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        var header = JSONObject()
        if !metadata.isEmpty {
            header["__metadata__"] = .object(JSONObject(metadata.keys.sorted().map { ($0, JSON.string(metadata[$0]!)) }))
        }
        var offset = 0
        for (name, tensor) in tensors {
            let size = tensor.count * 4
            header[name] = [
                "dtype": "F32", "shape": .array(tensor.shape.map { .int($0) }),
                "data_offsets": [.int(offset), .int(offset + size)],
            ]
            offset += size
        }
        var headerBytes = Array(JSON.object(header).serialized(pretty: false).utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        for (_, tensor) in tensors {
            tensor.withUnsafeBufferPointer { buffer in
                for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            }
        }
        return bytes
    }

    /// Writes the file (atomically: a temporary file renamed into place).
    public func write(to path: String) throws(SafeTensorsError) {
        do {
            try Data(encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SafeTensorsError(path: path, message: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a file.
    public static func read(from path: String) throws(SafeTensorsError) -> SafeTensors {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SafeTensorsError(path: path, message: "cannot read: \(error.localizedDescription)")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Parses a file's bytes; `path` is only used in error messages.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws(SafeTensorsError) -> SafeTensors {
        let notSafetensors = "is this a safetensors file? It starts with an 8-byte little-endian header length"
        guard bytes.count >= 8 else {
            throw SafeTensorsError(path: path, message: "too short (\(bytes.count) bytes)", hint: notSafetensors)
        }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(bytes.count - 8), headerLength <= 100_000_000 else {
            throw SafeTensorsError(
                path: path, message: "header length \(headerLength) does not fit in \(bytes.count) bytes", hint: notSafetensors)
        }
        let dataStart = 8 + Int(headerLength)
        let headerText = String(decoding: bytes[8..<dataStart], as: UTF8.self)
        let header: JSON
        do {
            header = try JSON.parse(headerText)
        } catch {
            throw SafeTensorsError(path: path, message: "header is not JSON: \(error)", hint: notSafetensors)
        }
        guard let object = header.objectValue else {
            throw SafeTensorsError(path: path, message: "header is not a JSON object", hint: notSafetensors)
        }
        var result = SafeTensors()
        let dataCount = bytes.count - dataStart
        for (name, entry) in object {
            if name == "__metadata__" {
                for (key, value) in entry.objectValue ?? [:] {
                    guard let string = value.stringValue else {
                        throw SafeTensorsError(path: path, message: "metadata \"\(key)\" is \(value.kindDescription), not a string")
                    }
                    result.metadata[key] = string
                }
                continue
            }
            guard let dtype = entry["dtype"]?.stringValue, let shapeArray = entry["shape"]?.arrayValue,
                let offsets = entry["data_offsets"]?.arrayValue, offsets.count == 2,
                let begin = offsets[0].intValue, let end = offsets[1].intValue
            else {
                throw SafeTensorsError(path: path, message: "tensor \"\(name)\": header entry needs dtype, shape and data_offsets")
            }
            let shape = shapeArray.compactMap(\.intValue)
            guard shape.count == shapeArray.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError(path: path, message: "tensor \"\(name)\": bad shape \(shapeArray)")
            }
            let count = shape.reduce(1, *)
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "I64": width = 8
            default:
                throw SafeTensorsError(
                    path: path, message: "tensor \"\(name)\" has dtype \(dtype)",
                    hint: "only F32 (and I64 counters) are read; convert with tensor.float() before saving")
            }
            guard begin >= 0, end >= begin, end <= dataCount, end - begin == count * width else {
                throw SafeTensorsError(
                    path: path,
                    message: "tensor \"\(name)\": data_offsets [\(begin), \(end)] do not hold \(count) \(dtype) values within \(dataCount) data bytes")
            }
            let start = dataStart + begin
            let tensor = Tensor(uninitializedShape: shape) { out in
                bytes.withUnsafeBytes { raw in
                    for i in 0..<count {
                        if width == 4 {
                            out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                        } else {
                            out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: Int64.self)))
                        }
                    }
                }
            }
            result.tensors.append((name, tensor))
        }
        return result
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where plugins come from: `--plugin PATH` options and the `EMOHR_PLUGIN_PATH` search path.
public enum PluginPaths {
    /// The environment variable: colon-separated files or folders.
    public static let environmentVariable = "EMOHR_PLUGIN_PATH"

    /// File names that count as plugin libraries inside a search-path folder.
    public static func isLibraryName(_ name: String) -> Bool {
        name.hasSuffix(".so") || name.hasSuffix(".dylib")
    }

    /// The libraries to load, in order: each search-path entry (a file, or every `*.so`/`*.dylib` in a
    /// folder, sorted by name), then each explicit path. The same file named twice is loaded once.
    /// An entry that does not exist is an error naming where it came from.
    public static func resolve(explicit: [String], searchPath: String?) throws(PluginLoadError) -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        func add(_ path: String) {
            let key = realpath(path, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            } ?? path
            if seen.insert(key).inserted { result.append(path) }
        }
        for entry in (searchPath ?? "").split(separator: ":", omittingEmptySubsequences: true).map(String.init) {
            var status = stat()
            guard stat(entry, &status) == 0 else {
                throw PluginLoadError(
                    path: entry, "no such file or folder (named in \(environmentVariable))",
                    hint: "remove it from \(environmentVariable) or build the plugin")
            }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                for name in try listFolder(entry).filter(isLibraryName).sorted() {
                    add(entry.hasSuffix("/") ? entry + name : entry + "/" + name)
                }
            } else {
                add(entry)
            }
        }
        for path in explicit { add(path) }
        return result
    }

    private static func listFolder(_ path: String) throws(PluginLoadError) -> [String] {
        guard let directory = opendir(path) else {
            throw PluginLoadError(path: path, "cannot read the folder (named in \(environmentVariable))")
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

import EmoPluginKit
import Foundation
import Testing

/// Builds a tiny C shared library with gcc in a temporary folder; nil when gcc is missing.
func buildLibrary(_ name: String, source: String) throws -> String? {
    guard let gcc = ["/usr/bin/gcc", "/usr/bin/cc", "/usr/local/bin/gcc"].first(where: FileManager.default.isExecutableFile) else {
        print("skipping: no gcc to build \(name)")
        return nil
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emohr-plugin-tests-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let sourceURL = folder.appendingPathComponent("\(name).c")
    let library = folder.appendingPathComponent("lib\(name).so").path
    try source.write(to: sourceURL, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: gcc)
    process.arguments = ["-shared", "-fPIC", "-o", library, sourceURL.path]
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "gcc failed on \(name).c")
    return library
}

func loadError(_ path: String) -> String {
    do {
        let library = try PluginLibrary.load(path: path, host: EmohrHostTable())
        return "loaded \(library.name)"
    } catch { return error.description }
}

@Test func aMissingFileIsRefused() {
    #expect(loadError("/nonexistent/libnothing.so") == "plugin /nonexistent/libnothing.so: no such file; build the plugin first (swift build -c release in its package folder) and pass the path of its lib*.so")
}

@Test func aFileThatIsNotALibraryIsRefused() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-plugin-\(getpid()).so").path
    try "hello".write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let message = loadError(path)
    #expect(message.hasPrefix("plugin \(path): is not a shared library this system can load (dlopen: "), "\(message)")
    #expect(loadError(FileManager.default.temporaryDirectory.path).contains("is not a file"))
}

@Test func aLibraryWithoutTheEntryPointIsRefused() throws {
    guard let path = try buildLibrary("noentry", source: "int something(void) { return 1; }\n") else { return }
    #expect(loadError(path) == "plugin \(path): has no emohr_plugin_entry_v1 entry point, so it is not an emohr plugin; a plugin exports it with @_cdecl(\"emohr_plugin_entry_v1\"); see docs/plugins.md")
}

@Test func aPluginForAnotherABIVersionIsRefused() throws {
    let source = """
        struct header { unsigned int abi_version; unsigned int size; const char *name; };
        static struct header table = { 999, sizeof(struct header), "future" };
        const void *emohr_plugin_entry_v1(const void *host) { (void)host; return &table; }
        """
    guard let path = try buildLibrary("future", source: source) else { return }
    #expect(loadError(path) == "plugin \(path): plugin future was built for emohr plugin ABI 999; this emohr speaks ABI 1; rebuild it against this EmoPluginKit")
}

@Test func aPluginWithOnlyANewerEntryPointIsRefused() throws {
    let source = "const void *emohr_plugin_entry_v2(const void *host) { (void)host; return 0; }\n"
    guard let path = try buildLibrary("newer", source: source) else { return }
    #expect(loadError(path).contains("was built for emohr plugin ABI 2; this emohr speaks ABI 1"))
}

@Test func anEntryPointReturningNothingIsRefused() throws {
    let source = "const void *emohr_plugin_entry_v1(const void *host) { (void)host; return 0; }\n"
    guard let path = try buildLibrary("empty", source: source) else { return }
    #expect(loadError(path) == "plugin \(path): its entry point returned no table")
}

@Test func searchPathsListFoldersAndFilesOnce() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emohr-search-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for name in ["libb.so", "liba.so", "notes.txt"] {
        try "x".write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    let a = folder.appendingPathComponent("liba.so").path, b = folder.appendingPathComponent("libb.so").path
    let paths = try PluginPaths.resolve(explicit: [a, "/explicit/libc.so"], searchPath: folder.path + "::" + b)
    #expect(paths == [a, b, "/explicit/libc.so"])
    let error = #expect(throws: PluginLoadError.self) { _ = try PluginPaths.resolve(explicit: [], searchPath: "/no/such/folder") }
    #expect(error?.description.contains("named in EMOHR_PLUGIN_PATH") == true)
}

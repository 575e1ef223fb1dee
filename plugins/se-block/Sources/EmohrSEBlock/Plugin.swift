import EmoPluginKit

/// The plugin's entry point: the host calls it once, after `dlopen`.
@_cdecl("emohr_plugin_entry_v1")
public func emohrPluginEntry(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? {
    PluginExport.register(
        name: "se-block", version: "1.0.0", blocks: [SEBasicBlock.self, SEBasicBlockR8.self, SEBasicBlockR16.self], host: host)
}

// A plugin imports EmoPluginKit alone: node protocols, items, formats and JSON come with it.
@_exported import EmoCore
@_exported import EmoJSON

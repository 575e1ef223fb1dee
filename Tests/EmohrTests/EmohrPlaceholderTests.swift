import Testing

@Test func emohrTargetBuilds() { #expect(Bool(true)) }

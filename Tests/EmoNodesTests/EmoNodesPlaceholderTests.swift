import Testing

@Test func emonodesTargetBuilds() { #expect(Bool(true)) }

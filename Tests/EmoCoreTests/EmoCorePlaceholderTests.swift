import Testing

@Test func emocoreTargetBuilds() { #expect(Bool(true)) }

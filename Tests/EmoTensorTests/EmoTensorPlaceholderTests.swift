import Testing

@Test func emotensorTargetBuilds() { #expect(Bool(true)) }

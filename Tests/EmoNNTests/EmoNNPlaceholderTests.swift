import Testing

@Test func emonnTargetBuilds() { #expect(Bool(true)) }

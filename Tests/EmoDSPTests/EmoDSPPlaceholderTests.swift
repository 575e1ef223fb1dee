import Testing

@Test func emodspTargetBuilds() { #expect(Bool(true)) }

import Testing

@Test func emopluginkitTargetBuilds() { #expect(Bool(true)) }

import Testing
@testable import EmoJSON

@Suite struct JSONCodecTests {
    @Test func parsesNestedValuesInOrder() throws {
        let value = try JSON.parse(#"{"b": 1, "a": [true, null, 2.5, "x/y"], "c": {"d": -3}}"#)
        #expect(value.objectValue?.keys == ["b", "a", "c"])
        #expect(value["a"] == [true, nil, 2.5, "x/y"])
        #expect(value["c"]?["d"]?.intValue == -3)
    }

    @Test func reportsLineAndColumnOfSyntaxErrors() {
        do {
            _ = try JSON.parse("{\n  \"a\": 1,\n  \"b\": ]\n}")
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
        }
    }

    @Test func rejectsEmptyTruncatedAndTrailingText() {
        #expect(throws: JSONSyntaxError.self) { try JSON.parse("  \n") }
        #expect(throws: JSONSyntaxError.self) { try JSON.parse("{\"a\": [1, 2") }
        #expect(throws: JSONSyntaxError.self) { try JSON.parse("{} x") }
    }

    @Test func roundTripsThroughSerialisation() throws {
        let value: JSON = ["name": "ü/ä", "n": 3, "x": 0.1, "whole": 2.0, "list": [1, "two", nil, false]]
        for pretty in [true, false] {
            let text = value.serialized(pretty: pretty)
            #expect(try JSON.parse(text) == value)
        }
        #expect(value.serialized(pretty: false).contains("0.1"))
    }
}

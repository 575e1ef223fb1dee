import EmoCore
import EmoJSON
import Foundation
import Testing

/// Each class of pipeline-file problem, on a fixture, with the message a person reads.
@Suite struct ValidationTests {
    func problems(_ fixture: String, arguments: [String: String] = [:]) throws -> [String] {
        let path = try #require(Bundle.module.path(forResource: "Fixtures/invalid/\(fixture)", ofType: nil))
        let validator = PipelineValidator(registry: try testRegistry(), arguments: arguments)
        do {
            _ = try validator.validate(file: path)
        } catch {
            return error.diagnostics.map(\.description)
        }
        Issue.record("\(fixture) should not validate")
        return []
    }

    @Test func syntaxErrorsGiveLineAndColumn() throws {
        let found = try problems("syntax-error.json")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("line 5, column 3: JSON syntax error:"), "\(found)")
    }

    @Test func unsupportedSchemaVersion() throws {
        #expect(try problems("schema-version.json") == ["schemaVersion: 7 is not supported (this emohr reads schemaVersion 1)"])
    }

    @Test func duplicateNodeIds() throws {
        #expect(try problems("duplicate-ids.json")
            == ["nodes[1].id: \"numbers\" is already the id of nodes[0] (node ids must be unique)"])
    }

    @Test func unknownNodeTypeWithSuggestion() throws {
        #expect(try problems("unknown-type.json")
            == ["nodes[0].type: unknown node type \"test.numbrs\" (did you mean \"test.numbers\"?)"])
    }

    @Test func unknownParameterWithSuggestion() throws {
        #expect(try problems("unknown-parameter.json")
            == ["nodes[0].params.cont: test.numbers has no parameter \"cont\" (did you mean \"count\"?)"])
    }

    @Test func unknownPortsWithSuggestions() throws {
        #expect(try problems("unknown-port.json") == [
            "nodes[1].inputs.item: test.collect has no input port \"item\" (did you mean \"items\"?)",
            "nodes[1].inputs: collect (test.collect) needs input \"items\" (Utterances) (connect it: \"inputs\": { \"items\": \"<node>.<port>\" })",
            "nodes[2].inputs.items: node \"numbers\" (test.numbers) has no output port \"itms\" (did you mean \"items\"?)",
        ])
    }

    @Test func parameterOfTheWrongKind() throws {
        #expect(try problems("wrong-kind.json") == ["nodes[0].params.count: expects an integer, got a string (allowed: 0 … 10000000)"])
    }

    @Test func parametersOutOfRange() throws {
        #expect(try problems("out-of-range.json") == [
            "nodes[0].params.sampleRate: is 0 Hz, below the minimum 1 Hz (allowed: 1 … 384000 Hz)",
            "nodes[1].params.passes: is 1000, above the maximum 100 (allowed: 1 … 100)",
        ])
    }

    @Test func missingRequiredInput() throws {
        #expect(try problems("missing-input.json") == [
            "nodes[1].inputs: collect (test.collect) needs input \"items\" (Utterances) (connect it: \"inputs\": { \"items\": \"<node>.<port>\" })"
        ])
    }

    @Test func portTypeMismatchNamesBothPorts() throws {
        #expect(try problems("type-mismatch.json") == [
            "nodes[1].inputs.audio: count.audio takes Audio; numbers.items gives Utterances (put an audio.decode node between them)"
        ])
    }

    @Test func formatMismatchNamesBothPortsAndFormats() throws {
        #expect(try problems("format-mismatch.json") == [
            "nodes[2].inputs.audio: count.audio expects Audio at 16 kHz; inflate.audio gives Audio at 48 kHz"
        ])
    }

    @Test func cyclesArePrinted() throws {
        let found = try problems("cycle.json")
        #expect(found == ["nodes: the graph has a cycle: a → b → c → a (a node cannot depend on its own output)"], "\(found)")
    }

    @Test func undeclaredArgument() throws {
        #expect(try problems("undeclared-argument.json") == [
            "nodes[0].params.count: uses undeclared argument $cuont (did you mean \"count\"? — or declare it under \"arguments\")"
        ])
    }

    @Test func argumentsGivenOnTheCommandLineMustBeDeclaredAndOfTheRightKind() throws {
        let path = try #require(Bundle.module.path(forResource: "Fixtures/invalid/undeclared-argument", ofType: "json"))
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "$cuont", with: "$count")
        let json = try JSON.parse(text)
        let validator = PipelineValidator(registry: try testRegistry(), arguments: ["count": "many", "extra": "1"])
        #expect(throws: PipelineError.self) { try validator.validate(json: json, file: "p.json", baseDirectory: "/tmp") }
        do { _ = try validator.validate(json: json, file: "p.json", baseDirectory: "/tmp") } catch {
            #expect(error.diagnostics.map(\.description) == [
                "--arg extra: the pipeline declares no argument \"extra\" (declared: count)",
                "nodes[0].params.count: --arg count=many: count expects integer",
            ])
        }
        let good = PipelineValidator(registry: try testRegistry(), arguments: ["count": "12"])
        let resolved = try good.validate(json: json, file: "p.json", baseDirectory: "/tmp")
        #expect(resolved.node("numbers")?.parameters.int("count") == 12)
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        #expect(try problems("many-problems.json") == [
            "nodes[1].type: unknown node type \"test.sqare\" (did you mean \"test.square\"?)",
            "nodes[0].params.count: is -1, below the minimum 0 (allowed: 0 … 10000000)",
            "nodes[0].params.colour: test.numbers has no parameter \"colour\" (its parameters: count, sampleRate, root)",
            "nodes[2].inputs.items: refers to unknown node \"nubmers\" (did you mean \"numbers\"?)",
        ])
    }

    @Test func emptyNonJSONMissingFolderAndHugeFilesGetClearErrors() throws {
        #expect(try problems("empty.json") == ["is empty; expected a JSON pipeline"])
        let notJSON = try problems("not-json.json")
        #expect(notJSON.count == 1 && notJSON[0].hasPrefix("line 1, column 1: JSON syntax error"), "\(notJSON)")
        let validator = PipelineValidator(registry: try testRegistry())
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func message(_ path: String) -> String {
            do { _ = try validator.validate(file: path) } catch { return error.diagnostics.map(\.description).joined() }
            return "validated"
        }
        #expect(message(folder.path) == "is a folder, not a pipeline file")
        #expect(message(folder.appendingPathComponent("missing.json").path)
            == "no such file (check the path; pipelines/ holds ready-to-run ones)")
        let huge = folder.appendingPathComponent("huge.json")
        try Data(count: PipelineValidator.maximumFileSize + 1).write(to: huge)
        #expect(message(huge.path).hasPrefix("is \(PipelineValidator.maximumFileSize + 1) bytes; pipeline files are at most"))
    }

    @Test func pathsResolveAgainstThePipelineFileAndArgumentsAgainstTheWorkingDirectory() throws {
        let json: JSON = [
            "schemaVersion": 1, "arguments": ["root": ["default": "data"]],
            "nodes": [["id": "numbers", "type": "test.numbers", "params": ["root": "$root"]],
                      ["id": "collect", "type": "test.collect", "inputs": ["items": "numbers"]]],
        ]
        let fromFile = try PipelineValidator(registry: try testRegistry(), workingDirectory: "/work")
            .validate(json: json, file: "p.json", baseDirectory: "/pipelines")
        #expect(fromFile.node("numbers")?.parameters.string("root") == "/pipelines/data")
        let fromCommandLine = try PipelineValidator(registry: try testRegistry(), arguments: ["root": "corpus"], workingDirectory: "/work")
            .validate(json: json, file: "p.json", baseDirectory: "/pipelines")
        #expect(fromCommandLine.node("numbers")?.parameters.string("root") == "/work/corpus")
    }

    @Test func registryRefusesDuplicateAndMalformedNames() throws {
        var registry = try testRegistry()
        #expect(throws: RegistryError.self) { try registry.register(NumbersNode.self, origin: "plugin x") }
        do { try registry.register(NumbersNode.self, origin: "plugin x") } catch {
            #expect(error.description == "node type test.numbers is already registered (by built-in); plugin x cannot register it again")
        }
    }
}

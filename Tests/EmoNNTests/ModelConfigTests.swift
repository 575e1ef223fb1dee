import EmoJSON
import EmoNN
import EmoTensor
import Testing

@Suite struct ModelConfigTests {
    @Test func emohrnetSHasTheReferenceParameterCount() throws {
        let model = try HRNet(preset: "emohrnet-s", classes: 8)
        #expect(model.parameterCount == 1_536_776)
    }

    @Test func w18ParameterCount() throws {
        let model = try HRNet(preset: "emohrnet-w18", classes: 8)
        print("emohrnet-w18 parameters:", model.parameterCount)
        #expect(model.parameterCount > 1_536_776)
    }
}

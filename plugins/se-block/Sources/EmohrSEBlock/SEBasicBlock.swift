import EmoPluginKit

/// HRNet's basic residual block with squeeze-and-excitation (Hu et al., "Squeeze-and-Excitation
/// Networks", SE-ResNet's basic block), block type `se-basic` (reduction 4; `se-basic-r8` and
/// `se-basic-r16` reduce by 8 and 16).
///
/// x [N, Cin, H, W] → y = bn2(conv2(ReLU(bn1(conv1(x))))) [N, C, H', W'];
/// s = sigmoid(fc2(ReLU(fc1(avgpool(y))))) [N, C] with fc1 C → max(1, C/r), fc2 back to C;
/// out = ReLU(y · s + shortcut(x)). conv1 is 3×3 with the block's stride, conv2 3×3; the shortcut is
/// the identity, or a 1×1 convolution + batch norm when the stride or the channels change.
/// Tensors: `{prefix}.conv1.weight`, `.bn1.*`, `.conv2.weight`, `.bn2.*`, `.se.fc1.{weight,bias}`,
/// `.se.fc2.{weight,bias}` [, `.downsample.0.weight`, `.downsample.1.*`] — SE-ResNet's names.
public class SEBasicBlock: PluginBlock {
    public class var name: String { "se-basic" }
    public class var summary: String { "basic block with squeeze-and-excitation (reduction \(reduction))" }
    /// Channels are divided by this in the excitation bottleneck.
    public class var reduction: Int { 4 }

    let conv1: PluginLayer, bn1: PluginLayer, conv2: PluginLayer, bn2: PluginLayer
    let squeeze: PluginLayer, excite: PluginLayer
    let downsample: (PluginLayer, PluginLayer)?

    public required init(_ spec: PluginBlockSpec, builder: PluginModelBuilder) throws {
        let c = spec.outputChannels
        let hidden = max(1, c / Self.reduction)
        conv1 = try builder.conv2d(inputChannels: spec.inputChannels, outputChannels: c, kernelSize: 3, stride: spec.stride, name: "conv1")
        bn1 = try builder.batchNorm(channels: c, name: "bn1")
        conv2 = try builder.conv2d(inputChannels: c, outputChannels: c, kernelSize: 3, name: "conv2")
        bn2 = try builder.batchNorm(channels: c, name: "bn2")
        squeeze = try builder.linear(inputFeatures: c, outputFeatures: hidden, name: "se.fc1")
        excite = try builder.linear(inputFeatures: hidden, outputFeatures: c, name: "se.fc2")
        if spec.stride != 1 || spec.inputChannels != c {
            downsample = (
                try builder.conv2d(inputChannels: spec.inputChannels, outputChannels: c, kernelSize: 1, stride: spec.stride, name: "downsample.0"),
                try builder.batchNorm(channels: c, name: "downsample.1")
            )
        } else {
            downsample = nil
        }
    }

    public func forward(_ x: PluginTensor) throws -> PluginTensor {
        let y = try bn2(conv2(bn1(conv1(x)).relu()))
        let weights = try excite(squeeze(y.globalAveragePooled()).relu()).sigmoid()
        let shortcut = try downsample.map { try $0.1($0.0(x)) } ?? x
        return try y.scaledPerChannel(by: weights).addingRelu(shortcut)
    }
}

/// `se-basic-r8`: `se-basic` with reduction 8.
public final class SEBasicBlockR8: SEBasicBlock {
    public override class var name: String { "se-basic-r8" }
    public override class var reduction: Int { 8 }
}

/// `se-basic-r16`: `se-basic` with reduction 16 (the SE paper's default).
public final class SEBasicBlockR16: SEBasicBlock {
    public override class var name: String { "se-basic-r16" }
    public override class var reduction: Int { 16 }
}

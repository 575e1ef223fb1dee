import EmoTensor

/// HRNet's residual basic block (ResNet `BasicBlock`, expansion 1).
///
/// x [N, Cin, H, W] → ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)) [N, Cout, ⌈H/s⌉, ⌈W/s⌉];
/// conv1 is 3×3 with stride s (Cin → Cout), conv2 3×3 (Cout → Cout). The shortcut is the identity,
/// or, when s ≠ 1 or Cin ≠ Cout, a 1×1 convolution with stride s + batch norm (`downsample.0/1`).
/// State: `{name}.conv1.weight`, `{name}.bn1.*`, `{name}.conv2.weight`, `{name}.bn2.*`
/// [, `{name}.downsample.0.weight`, `{name}.downsample.1.*`].
public final class BasicBlock: Layer {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let downsample: ConvBatchNorm?

    public init(_ spec: BlockSpec) {
        let b = spec.builder, c = spec.outputChannels
        conv1 = b.conv2d(inputChannels: spec.inputChannels, outputChannels: c, kernelSize: 3, stride: spec.stride, name: name(spec.name, "conv1"))
        bn1 = b.batchNorm(channels: c, name: name(spec.name, "bn1"))
        conv2 = b.conv2d(inputChannels: c, outputChannels: c, kernelSize: 3, name: name(spec.name, "conv2"))
        bn2 = b.batchNorm(channels: c, name: name(spec.name, "bn2"))
        downsample =
            spec.stride != 1 || spec.inputChannels != c
            ? b.convBatchNorm(
                inputChannels: spec.inputChannels, outputChannels: c, kernelSize: 1, stride: spec.stride, activation: false,
                name: name(spec.name, "downsample")) : nil
    }

    public var state: [StateEntry] {
        conv1.state + bn1.state + conv2.state + bn2.state + (downsample?.state ?? [])
    }

    public func forward(_ x: Variable, context: ForwardContext) -> Variable {
        let y = convolveAndNormalize(x, convolution: conv1, normalization: bn1, relu: true, context: context)
        let shortcut = downsample?.forward(x, context: context) ?? x
        return convolveAndNormalize(
            y, convolution: conv2, normalization: bn2, adding: shortcut, relu: true, context: context)
    }
}

/// HRNet's bottleneck block (ResNet `Bottleneck`, expansion 4).
///
/// With planes P = Cout/4: x [N, Cin, H, W] → ReLU(bn3(conv3(ReLU(bn2(conv2(ReLU(bn1(conv1(x))))))))
/// + shortcut(x)) [N, Cout, ⌈H/s⌉, ⌈W/s⌉]; conv1 1×1 Cin → P, conv2 3×3 stride s P → P, conv3 1×1
/// P → Cout. Shortcut as in `BasicBlock`. State: `conv1..3.weight`, `bn1..3.*` [, `downsample.0/1`].
public final class Bottleneck: Layer {
    /// Output channels per planes.
    public static let expansion = 4
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    public let downsample: ConvBatchNorm?

    public init(_ spec: BlockSpec) {
        let b = spec.builder, c = spec.outputChannels
        let planes = max(1, c / Self.expansion)
        conv1 = b.conv2d(inputChannels: spec.inputChannels, outputChannels: planes, kernelSize: 1, name: name(spec.name, "conv1"))
        bn1 = b.batchNorm(channels: planes, name: name(spec.name, "bn1"))
        conv2 = b.conv2d(inputChannels: planes, outputChannels: planes, kernelSize: 3, stride: spec.stride, name: name(spec.name, "conv2"))
        bn2 = b.batchNorm(channels: planes, name: name(spec.name, "bn2"))
        conv3 = b.conv2d(inputChannels: planes, outputChannels: c, kernelSize: 1, name: name(spec.name, "conv3"))
        bn3 = b.batchNorm(channels: c, name: name(spec.name, "bn3"))
        downsample =
            spec.stride != 1 || spec.inputChannels != c
            ? b.convBatchNorm(
                inputChannels: spec.inputChannels, outputChannels: c, kernelSize: 1, stride: spec.stride, activation: false,
                name: name(spec.name, "downsample")) : nil
    }

    public var state: [StateEntry] {
        conv1.state + bn1.state + conv2.state + bn2.state + conv3.state + bn3.state + (downsample?.state ?? [])
    }

    public func forward(_ x: Variable, context: ForwardContext) -> Variable {
        var y = convolveAndNormalize(x, convolution: conv1, normalization: bn1, relu: true, context: context)
        y = convolveAndNormalize(y, convolution: conv2, normalization: bn2, relu: true, context: context)
        let shortcut = downsample?.forward(x, context: context) ?? x
        return convolveAndNormalize(
            y, convolution: conv3, normalization: bn3, adding: shortcut, relu: true, context: context)
    }
}

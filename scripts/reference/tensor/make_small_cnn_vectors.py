"""Reference vectors for EmoTensor's small-CNN test (Tests/EmoTensorTests/SmallCNNTests.swift).

A tiny network that uses every EmoTensor op with the settings the HRNet uses (and a few more):
  x [3,1,13,11]
  h  = relu(bn1(conv(x, w1 [4,1,3,3], b1, stride 2, padding 1)))          -> [3,4,7,6]
  h2 = relu(bn2(conv(h, w2 [4,4,3,3], padding 1)) + h)                    -> [3,4,7,6]   (residual add)
  d  = relu(bn3(conv(h2, w3 [6,4,3,3], stride 2, padding 1)))             -> [3,6,4,3]
  n  = interpolate(conv(d, w4 [4,6,1,1]), size (7,6), mode nearest)       -> [3,4,7,6]
  u  = interpolate(d, size (7,6), mode bilinear, align_corners=False)     -> [3,6,7,6]
  e  = conv(cat([h2, n, u], 1), w5 [8,7,3,3], b5, padding 2, dilation 2, groups 2) -> [3,8,7,6]
  p  = adaptive_avg_pool2d(relu(e), 1).flatten(1)                         -> [3,8]
  logits = linear(p, wf [5,8], bf)                                        -> [3,5]
  loss = cross_entropy(logits, labels, weight=cw, label_smoothing=0.1)
BatchNorm layers run in training mode (momentum 0.1, eps 1e-5); their running statistics after the
step are saved too. Everything float32; the gradients are loss.backward() results.
Writes .npy files (float32, labels stored as float32) to Tests/EmoTensorTests/Fixtures/small_cnn/.
Usage: python make_small_cnn_vectors.py   (torch 2.13.0+cpu, numpy)
"""
import os
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
out_dir = os.path.join(os.path.dirname(__file__), "../../../Tests/EmoTensorTests/Fixtures/small_cnn")
os.makedirs(out_dir, exist_ok=True)


def param(*shape, scale=0.5):
    return (torch.randn(*shape) * scale).requires_grad_(True)


x = torch.randn(3, 1, 13, 11).requires_grad_(True)
P = {
    "w1": param(4, 1, 3, 3), "b1": param(4, scale=0.1),
    "g1": (1 + 0.1 * torch.randn(4)).requires_grad_(True), "be1": param(4, scale=0.1),
    "w2": param(4, 4, 3, 3, scale=0.3),
    "g2": (1 + 0.1 * torch.randn(4)).requires_grad_(True), "be2": param(4, scale=0.1),
    "w3": param(6, 4, 3, 3, scale=0.3),
    "g3": (1 + 0.1 * torch.randn(6)).requires_grad_(True), "be3": param(6, scale=0.1),
    "w4": param(4, 6, 1, 1),
    "w5": param(8, 7, 3, 3, scale=0.3), "b5": param(8, scale=0.1),
    "wf": param(5, 8), "bf": param(5, scale=0.1),
}
running = {f"{k}{i}": (torch.zeros(c) if k == "rm" else torch.ones(c)) for i, c in ((1, 4), (2, 4), (3, 6)) for k in ("rm", "rv")}
running["rm2"] = 0.1 * torch.randn(4)  # a non-trivial starting point
running["rv2"] = 1 + 0.2 * torch.rand(4)
start = {k: v.clone() for k, v in running.items()}
labels = torch.tensor([2, 0, 4])
cw = torch.tensor([1.0, 0.5, 2.0, 1.5, 0.8])


def bn(t, i):
    return F.batch_norm(t, running[f"rm{i}"], running[f"rv{i}"], P[f"g{i}"], P[f"be{i}"], training=True, momentum=0.1, eps=1e-5)


h = F.relu(bn(F.conv2d(x, P["w1"], P["b1"], stride=2, padding=1), 1))
h2 = F.relu(bn(F.conv2d(h, P["w2"], padding=1), 2) + h)
d = F.relu(bn(F.conv2d(h2, P["w3"], stride=2, padding=1), 3))
n = F.interpolate(F.conv2d(d, P["w4"]), size=h2.shape[-2:], mode="nearest")
u = F.interpolate(d, size=h2.shape[-2:], mode="bilinear", align_corners=False)
e = F.conv2d(torch.cat([h2, n, u], 1), P["w5"], P["b5"], padding=2, dilation=2, groups=2)
p = torch.flatten(F.adaptive_avg_pool2d(F.relu(e), 1), 1)
logits = F.linear(p, P["wf"], P["bf"])
loss = F.cross_entropy(logits, labels, weight=cw, label_smoothing=0.1)
loss.backward()


def save(name, t):
    np.save(os.path.join(out_dir, name + ".npy"), t.detach().numpy().astype("<f4"))


save("x", x)
save("labels", labels.float())
save("class_weights", cw)
for k, v in P.items():
    save(k, v)
    save("grad_" + k, v.grad)
for k, v in start.items():
    save("start_" + k, v)
for k, v in running.items():
    save("after_" + k, v)
save("grad_x", x.grad)
save("logits", logits)
save("loss", loss.reshape(1))
print("loss", loss.item(), "files in", os.path.abspath(out_dir))

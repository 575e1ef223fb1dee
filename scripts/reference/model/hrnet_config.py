"""Build a PyTorch HRNet classifier from an emohr JSON model config (the format of EmoNN's ModelConfig).

The network and its state_dict names follow scripts/emohrnet.py (shared/reference/scripts), extended
by the same rules as the Swift side (EmoNN HRNet.swift):
  stem.{0,1}.{0,1}            two conv3x3+BN+ReLU (stride 4: both stride 2; 2: first; 1: neither)
  layer1 | layer1.{k}         stage 1 blocks (no index when there is one block, as emohrnet.py)
  trans{s} | trans{s}.{i}     transition into stage s+1 (no index when it has one non-identity entry);
                              a chain of several stride-2 convs numbers its steps: .{step}.{0,1}
  stage{s} | stage{s}.{m}     HR modules (no index when the stage has one module):
                              branches.{i}.{k}.* blocks, fuse.{i}.{j}.* fusion (fusion "sum")
  head.{0,1}                  the paper's fuse layer (concat -> conv1x1 + BN + ReLU)
  fc                          linear head (optional dropout before it)
Only the built-in components (blocks basic/bottleneck, fusion sum/none, head linear) are known here.
For the emohrnet-s config the model is identical to emohrnet.EmoHRNetS (check: --self-check).
"""
import json
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(i, o, k, s=1):
    return nn.Conv2d(i, o, k, s, (k - 1) // 2, bias=False)


def cbn(i, o, k, s=1, act=True):
    layers = [conv(i, o, k, s), nn.BatchNorm2d(o)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, i, o, s=1):
        super().__init__()
        self.conv1, self.bn1 = conv(i, o, 3, s), nn.BatchNorm2d(o)
        self.conv2, self.bn2 = conv(o, o, 3), nn.BatchNorm2d(o)
        self.downsample = cbn(i, o, 1, s, act=False) if (s != 1 or i != o) else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, i, o, s=1):
        super().__init__()
        p = max(1, o // 4)
        self.conv1, self.bn1 = conv(i, p, 1), nn.BatchNorm2d(p)
        self.conv2, self.bn2 = conv(p, p, 3, s), nn.BatchNorm2d(p)
        self.conv3, self.bn3 = conv(p, o, 1), nn.BatchNorm2d(o)
        self.downsample = cbn(i, o, 1, s, act=False) if (s != 1 or i != o) else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class SumFusion(nn.Module):
    def __init__(self, c):
        super().__init__()
        n = len(c)
        self.fuse = nn.ModuleList()
        for i in range(n):
            row = nn.ModuleList()
            for j in range(n):
                if j == i:
                    row.append(nn.Identity())
                elif j > i:
                    row.append(cbn(c[j], c[i], 1, act=False))
                else:
                    layers = []
                    for k in range(i - j):
                        last = k == i - j - 1
                        layers += [conv(c[j], c[i] if last else c[j], 3, 2), nn.BatchNorm2d(c[i] if last else c[j])]
                        if not last:
                            layers.append(nn.ReLU(inplace=True))
                    row.append(nn.Sequential(*layers))
            self.fuse.append(row)


class HRModule(nn.Module):
    def __init__(self, channels, blocks, block, fusion):
        super().__init__()
        B = BLOCKS[block]
        self.branches = nn.ModuleList(
            nn.Sequential(*[B(c, c) for _ in range(nb)]) for c, nb in zip(channels, blocks))
        if fusion == "sum":
            self.fuse = SumFusion(channels).fuse
        else:
            self.fuse = None

    def forward(self, xs):
        xs = [b(x) for b, x in zip(self.branches, xs)]
        if self.fuse is None:
            return xs
        out = []
        for i, row in enumerate(self.fuse):
            acc = xs[i]
            for j, f in enumerate(row):
                if j == i:
                    continue
                y = f(xs[j])
                if j > i:
                    y = F.interpolate(y, size=xs[i].shape[-2:], mode="nearest")
                acc = acc + y
            out.append(F.relu(acc))
        return out


class Transition(nn.Module):
    def __init__(self, prev, cur):
        super().__init__()
        self.paths = {}
        mods = {}
        needs = [i >= len(prev) or prev[i] != cur[i] for i in range(len(cur))]
        for i in range(len(cur)):
            if not needs[i]:
                continue
            if i < len(prev):
                m, src = cbn(prev[i], cur[i], 3), i
            else:
                steps, src = i - len(prev) + 1, len(prev) - 1
                chain = [cbn(prev[src], cur[i] if k == steps - 1 else prev[src], 3, 2) for k in range(steps)]
                m = chain[0] if steps == 1 else nn.Sequential(*chain)
            mods[str(i)] = m
            self.paths[i] = src
        self.single = len(mods) == 1
        self.mods = nn.ModuleDict(mods)

    def forward(self, xs, n_out):
        return [self.mods[str(i)](xs[self.paths[i]]) if i in self.paths else xs[i] for i in range(n_out)]


class HRNetFromConfig(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        stem, stages = cfg.get("stem", {}), cfg["stages"]
        cin, cs, st = stem.get("inputChannels", 1), stem.get("channels", 64), stem.get("stride", 4)
        strides = {4: (2, 2), 2: (2, 1), 1: (1, 1)}[st]
        self.stem = nn.Sequential(cbn(cin, cs, 3, strides[0]), cbn(cs, cs, 3, strides[1]))
        s0 = stages[0]
        B = BLOCKS[s0["block"]]
        out = s0["channels"][0] * B.expansion
        blocks = [B(cs if k == 0 else out, out) for k in range(s0["blocks"][0])]
        self.layer1 = blocks[0] if len(blocks) == 1 else nn.Sequential(*blocks)
        prev = [out]
        self.plan = []
        for s in range(1, len(stages)):
            stg = stages[s]
            cur = [c * BLOCKS[stg["block"]].expansion for c in stg["channels"]]
            t = Transition(prev, cur)
            # register under trans{s} with the naming rule (single entry: no index)
            tmod = list(t.mods.values())[0] if t.single else t.mods
            setattr(self, f"trans{s}", tmod)
            mods = [HRModule(cur, stg["blocks"], stg["block"], stg.get("fusion", "sum")) for _ in range(stg.get("modules", 1))]
            setattr(self, f"stage{s + 1}", mods[0] if len(mods) == 1 else nn.ModuleList(mods))
            self.plan.append((t, len(cur), mods))
            prev = cur
        fuse = cfg.get("fuse", {})
        fc_in = fuse.get("channels") or sum(prev)
        self.head = cbn(sum(prev), fc_in, 1)
        self.mode = fuse.get("upsampling", "bilinear")
        head = cfg["head"]
        self.dropout = float(head.get("dropout", 0))
        self.fc = nn.Linear(fc_in, head["classes"])

    def forward(self, x):
        xs = [self.layer1(self.stem(x))]
        for t, n, mods in self.plan:
            xs = t(xs, n)
            for m in mods:
                xs = m(xs)
        size = xs[0].shape[-2:]
        up = [xs[0]] + [y if y.shape[-2:] == size else
                        F.interpolate(y, size=size, mode=self.mode, align_corners=False if self.mode == "bilinear" else None)
                        for y in xs[1:]]
        y = self.head(torch.cat(up, 1))
        y = torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)
        if self.dropout > 0:
            y = F.dropout(y, self.dropout, self.training)
        return self.fc(y)


def emohrnet_s_config(classes=8):
    return {"name": "emohrnet-s", "stem": {"inputChannels": 1, "channels": 64, "stride": 4}, "stages": [
        {"modules": 1, "branches": 1, "block": "bottleneck", "blocks": [1], "channels": [32]},
        {"modules": 1, "branches": 2, "block": "basic", "blocks": [2, 2], "channels": [16, 32], "fusion": "sum"},
        {"modules": 1, "branches": 3, "block": "basic", "blocks": [2, 2, 2], "channels": [16, 32, 64], "fusion": "sum"},
        {"modules": 1, "branches": 4, "block": "basic", "blocks": [2, 2, 2, 2], "channels": [16, 32, 64, 128], "fusion": "sum"}],
        "fuse": {"upsampling": "bilinear"}, "pooling": "average", "head": {"type": "linear", "classes": classes, "dropout": 0}}


def is_emohrnet_s(cfg):
    """True when cfg describes exactly the reference architecture (emohrnet.EmoHRNetS with 1 input channel)."""
    ref = emohrnet_s_config(cfg["head"]["classes"])
    keys = lambda c: ({k: v for k, v in c.get("stem", {}).items()},
                      [{k: s.get(k, d) for k, d in (("modules", 1), ("branches", 0), ("block", ""), ("blocks", []),
                                                     ("channels", []), ("fusion", "sum"))} for s in c["stages"]][1:],
                      c["stages"][0]["block"], c["stages"][0]["blocks"], c["stages"][0]["channels"],
                      c.get("fuse", {}).get("upsampling", "bilinear"), c.get("fuse", {}).get("channels") in (None, 240),
                      float(c["head"].get("dropout", 0)) == 0.0)
    return keys(cfg) == keys(ref)


if __name__ == "__main__" and "--self-check" in sys.argv:
    from reference_path import import_emohrnet
    EmoHRNetS = import_emohrnet().EmoHRNetS
    torch.manual_seed(0)
    ref = EmoHRNetS(8)
    gen = HRNetFromConfig(emohrnet_s_config(8))
    a, b = ref.state_dict(), gen.state_dict()
    assert list(a.keys()) == list(b.keys()), [k for k in a if k not in b][:5] + [k for k in b if k not in a][:5]
    assert all(a[k].shape == b[k].shape for k in a)
    gen.load_state_dict(a)
    ref.eval(); gen.eval()
    x = torch.randn(2, 1, 64, 100)
    d = (ref(x) - gen(x)).abs().max().item()
    print(f"state_dict keys identical ({len(a)}), parameters {sum(p.numel() for p in gen.parameters())}, max |logit diff| {d}")
    assert d == 0.0

"""Reference vectors for EmoNNTests (Fixtures/model/tiny): a tiny HRNet built from a JSON config by
hrnet_config.py, seeded weights with non-trivial batch-norm statistics, an odd-sized input, and what
PyTorch computes from them:
  config.json             the model config (EmoNN ModelConfig JSON)
  weights.safetensors     the state_dict (F32, without num_batches_tracked)
  input.npy               [3, 1, 21, 37] standard normal
  logits_eval.npy         model.eval() logits
  logits_train.npy        model.train() logits of one forward pass from the same weights
  after_train.safetensors the running statistics after that training forward (running statistics moved)
  loss.npy, gradients.safetensors   mean cross-entropy of the training logits for labels [0, 3, 4]
                          and every parameter's gradient
Usage: make_model_vectors.py OUT_DIR   (torch 2.13 CPU, numpy, safetensors)"""
import json, os, sys
import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hrnet_config import HRNetFromConfig

CONFIG = {
    "name": "tiny-test",
    "stem": {"inputChannels": 1, "channels": 4, "stride": 4},
    "stages": [
        {"modules": 1, "branches": 1, "block": "bottleneck", "blocks": [1], "channels": [2]},
        {"modules": 1, "branches": 2, "block": "bottleneck", "blocks": [1, 1], "channels": [1, 1], "fusion": "sum"},
        {"modules": 2, "branches": 4, "block": "basic", "blocks": [1, 1, 1, 1], "channels": [3, 4, 5, 6], "fusion": "sum"},
    ],
    "fuse": {"channels": 12, "upsampling": "bilinear"},
    "pooling": "average",
    "head": {"type": "linear", "classes": 5, "dropout": 0},
}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = HRNetFromConfig(CONFIG)
with torch.no_grad():
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.weight.copy_(1 + 0.2 * torch.randn(c)); m.bias.copy_(0.1 * torch.randn(c))
            m.running_mean.copy_(0.1 * torch.randn(c)); m.running_var.copy_(0.5 + torch.rand(c))


def state(m):
    return {k: v.detach().clone().contiguous() for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked")}


save_file(state(model), f"{out}/weights.safetensors")
json.dump(CONFIG, open(f"{out}/config.json", "w"), indent=1)
x = torch.randn(3, 1, 21, 37)
np.save(f"{out}/input.npy", x.numpy())
model.eval()
with torch.no_grad():
    np.save(f"{out}/logits_eval.npy", model(x).numpy())
model.train()
logits = model(x)
np.save(f"{out}/logits_train.npy", logits.detach().numpy())
save_file({k: v for k, v in state(model).items() if "running" in k}, f"{out}/after_train.safetensors")
loss = F.cross_entropy(logits, torch.tensor([0, 3, 4]))
loss.backward()
np.save(f"{out}/loss.npy", np.array([loss.item()], dtype=np.float32))
save_file({k: p.grad.contiguous() for k, p in model.named_parameters()}, f"{out}/gradients.safetensors")
print(f"{sum(p.numel() for p in model.parameters())} parameters, {len(state(model))} tensors, loss {loss.item():.6f}")

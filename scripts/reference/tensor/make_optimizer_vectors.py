"""Step-by-step reference vectors for EmoNN's optimisers (Tests/EmoNNTests/OptimizerTests.swift).

Three parameters (shapes [3,4], [5], [2,1,3,3]) start from fixed values; for 6 steps each gets a
fixed gradient (the same sequence for every optimiser, saved as grads_p{i}.npy with shape
[steps, *shape]); after every step the parameter values are saved as {config}_p{i}.npy
[steps, *shape]. Parameter 1 has no gradient at step 2 (grad None), which PyTorch skips entirely
(no state update); the test does the same by leaving Parameter.grad nil.
Configs (torch.optim, PyTorch 2.13 CPU, float32, single-tensor implementation):
  adam      Adam(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)     (L2 added to the gradient)
  adamw     AdamW(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)    (decoupled)
  sgd       SGD(lr=1e-2, momentum=0.9, dampening=0, weight_decay=1e-3)
  nesterov  SGD(lr=1e-2, momentum=0.9, dampening=0, weight_decay=1e-3, nesterov=True)
  sgdplain  SGD(lr=5e-2)
Usage: python make_optimizer_vectors.py   (torch 2.13.0+cpu, numpy)
"""
import os
import numpy as np
import torch

out = os.path.join(os.path.dirname(__file__), "../../../Tests/EmoNNTests/Fixtures/optim")
os.makedirs(out, exist_ok=True)
g = torch.Generator().manual_seed(7)
shapes = [(3, 4), (5,), (2, 1, 3, 3)]
steps = 6
initial = [torch.randn(*s, generator=g) for s in shapes]
grads = [torch.randn(steps, *s, generator=g) for s in shapes]
skip = (1, 2)  # parameter 1 has no gradient at step 2

configs = {
    "adam": lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, foreach=False),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, foreach=False),
    "sgd": lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9, dampening=0, weight_decay=1e-3, foreach=False),
    "nesterov": lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9, dampening=0, weight_decay=1e-3, nesterov=True, foreach=False),
    "sgdplain": lambda ps: torch.optim.SGD(ps, lr=5e-2, foreach=False),
}


def save(name, t):
    np.save(os.path.join(out, name + ".npy"), t.detach().numpy().astype("<f4"))


for i, (p, gr) in enumerate(zip(initial, grads)):
    save(f"initial_p{i}", p)
    save(f"grads_p{i}", gr)
for name, make in configs.items():
    params = [p.clone().requires_grad_(True) for p in initial]
    opt = make(params)
    history = [[] for _ in params]
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        for i, p in enumerate(params):
            if (i, step) != skip:
                p.grad = grads[i][step].clone()
        opt.step()
        for i, p in enumerate(params):
            history[i].append(p.detach().clone())
    for i, h in enumerate(history):
        save(f"{name}_p{i}", torch.stack(h))
print("wrote", os.path.abspath(out))

"""Load a checkpoint written by the Swift side (EmoNN Classifier.save / Checkpoint.write) into the
PyTorch reference model and compare logits on the same input.

Usage: compare_checkpoint.py CHECKPOINT.safetensors INPUT.npy SWIFT_LOGITS.npy [--tolerance 1e-4] [--mode eval|train]

The model config comes from the checkpoint's metadata ("modelConfig"). When it describes emohrnet-s,
the model is emohrnet.EmoHRNetS from shared/reference/scripts/emohrnet.py (the reference itself);
otherwise hrnet_config.HRNetFromConfig (same names and structure rules). The weights are loaded with
load_state_dict(strict=True): the checkpoint has no num_batches_tracked entries, and PyTorch fills
them in for a state dict without version metadata, so strict loading succeeds without them.

Relative error = max|swift - torch| / max|torch| over all logits. Prints one JSON line; exits 1 when
the error exceeds the tolerance. Needs torch, numpy, safetensors."""
import argparse, json, os, sys
import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hrnet_config import HRNetFromConfig, is_emohrnet_s
from reference_path import import_emohrnet

ap = argparse.ArgumentParser()
ap.add_argument("checkpoint"); ap.add_argument("input"); ap.add_argument("logits")
ap.add_argument("--tolerance", type=float, default=1e-4)
ap.add_argument("--mode", choices=["eval", "train"], default="eval")
a = ap.parse_args()
torch.set_num_threads(2)

with safe_open(a.checkpoint, "pt") as f:
    meta = f.metadata() or {}
if meta.get("format") != "emohr-checkpoint":
    raise SystemExit(f"{a.checkpoint}: not an emohr checkpoint (metadata format {meta.get('format')!r})")
config = json.loads(meta["modelConfig"])
classes = config["head"]["classes"]
if is_emohrnet_s(config) and config.get("stem", {}).get("inputChannels", 1) == 1:
    model, built = import_emohrnet().EmoHRNetS(n_classes=classes), "emohrnet.EmoHRNetS"
else:
    model, built = HRNetFromConfig(config), "hrnet_config.HRNetFromConfig"
state = load_file(a.checkpoint)
result = model.load_state_dict(state, strict=True)
model.train(a.mode == "train")
x = torch.from_numpy(np.load(a.input))
with torch.no_grad():
    ref = model(x).numpy().astype(np.float64)
swift = np.load(a.logits).astype(np.float64)
if swift.shape != ref.shape:
    raise SystemExit(f"logit shapes differ: swift {swift.shape}, torch {ref.shape}")
err = float(np.abs(swift - ref).max() / max(np.abs(ref).max(), 1e-30))
print(json.dumps(dict(model=built, labels=json.loads(meta.get("labels", "[]")), tensors=len(state),
                      parameters=sum(p.numel() for p in model.parameters()), input=list(x.shape), mode=a.mode,
                      max_abs_diff=float(np.abs(swift - ref).max()), max_abs_logit=float(np.abs(ref).max()),
                      relative_error=err, tolerance=a.tolerance, ok=err <= a.tolerance)))
sys.exit(0 if err <= a.tolerance else 1)

"""emohrnet-s inference with ONNX Runtime (2 intra-op threads): exports EmoHRNetS to ONNX and times
a batch. Usage: infer_onnx.py [--batch 64] [--height 128] [--iters 5]. Prints one line
`onnxruntime VERSION: inference, batch N, 1xHx300: median S s`."""
import argparse, os, statistics, sys, tempfile, time
import numpy as np
import torch
import onnxruntime as ort
sys.path.insert(0, os.path.dirname(__file__))
from emohrnet import EmoHRNetS

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=64); ap.add_argument("--height", type=int, default=128)
ap.add_argument("--iters", type=int, default=5)
a = ap.parse_args()
torch.manual_seed(0)
model = EmoHRNetS().eval()
x = torch.randn(a.batch, 1, a.height, 300)
path = os.path.join(tempfile.mkdtemp(), "emohrnet-s.onnx")
with torch.no_grad():
    torch.onnx.export(model, x, path, input_names=["x"], output_names=["logits"], opset_version=17, dynamo=False)
options = ort.SessionOptions()
options.intra_op_num_threads = 2
options.inter_op_num_threads = 1
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
feed = {"x": x.numpy()}
session.run(None, feed)
times = []
for _ in range(a.iters):
    t0 = time.perf_counter(); session.run(None, feed); times.append(time.perf_counter() - t0)
print(f"onnxruntime {ort.__version__}: inference, batch {a.batch}, 1x{a.height}x300: median {statistics.median(times):.3f} s", flush=True)

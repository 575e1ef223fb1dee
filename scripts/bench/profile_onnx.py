"""Per-node times of emohrnet-s in ONNX Runtime (2 intra-op threads, the same export as
infer_onnx.py), to see where ONNX Runtime spends an inference batch. Usage:
profile_onnx.py [--batch 64] [--height 128] [--iters 4] [--top 30]. Prints the mean milliseconds per
run by operator type, then the slowest nodes."""
import argparse, collections, json, os, sys, tempfile
import torch
import onnxruntime as ort
sys.path.insert(0, os.path.dirname(__file__))
from emohrnet import EmoHRNetS

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=64); ap.add_argument("--height", type=int, default=128)
ap.add_argument("--iters", type=int, default=4); ap.add_argument("--top", type=int, default=30)
a = ap.parse_args()
torch.manual_seed(0)
model = EmoHRNetS().eval()
x = torch.randn(a.batch, 1, a.height, 300)
folder = tempfile.mkdtemp()
path = os.path.join(folder, "emohrnet-s.onnx")
with torch.no_grad():
    torch.onnx.export(model, x, path, input_names=["x"], output_names=["logits"], opset_version=17, dynamo=False)
options = ort.SessionOptions()
options.intra_op_num_threads = 2
options.inter_op_num_threads = 1
options.enable_profiling = True
options.profile_file_prefix = os.path.join(folder, "profile")
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
for _ in range(a.iters):
    session.run(None, {"x": x.numpy()})
events = json.load(open(session.end_profiling()))
runs = [e["dur"] / 1e3 for e in events if e.get("name") == "model_run"]
nodes = [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]
by_node, by_op = collections.defaultdict(float), collections.defaultdict(float)
for e in nodes:
    by_node[e["name"][: -len("_kernel_time")]] += e["dur"] / 1e3
    by_op[e["args"]["op_name"]] += e["dur"] / 1e3
print(f"onnxruntime {ort.__version__}, batch {a.batch}, 1x{a.height}x300: runs " + ", ".join(f"{r:.0f}" for r in runs) + " ms")
for op, ms in sorted(by_op.items(), key=lambda t: -t[1]):
    print(f"{op:28s} {ms / len(runs):8.1f} ms per run")
print()
for name, ms in sorted(by_node.items(), key=lambda t: -t[1])[: a.top]:
    print(f"{name:72s} {ms / len(runs):8.2f} ms")

"""Times emohrnet-s's convolution shapes in PyTorch, to compare with EmoTensor's
`runConvolutionBenchmark` (Sources/EmoTensor/Benchmark/ConvolutionBenchmark.swift; same shapes,
same FLOP counting, same timing rule: one warm-up, then at least --repetitions runs and until they
add up to --min-seconds).

Forward: F.conv2d under torch.no_grad(). Backward: aten.convolution_backward with output_mask
(input gradient except for stem.0, weight gradient, no bias) - the kernel autograd would call.
Both layouts: NCHW (contiguous) and channels-last (x, weight and dy in torch.channels_last).
Usage: bench_ops_pytorch.py [--batch 64] [--height 128] [--width 300] [--repetitions 3] [--min-seconds 0]
[--threads 2]
With --serve: prints {"torch", "threads", "shapes": [names]} on one line, then for each shape index read
from stdin one line {"index", "name", "nchw": {"forward": [s, ...], "backward": [...]}, "channels_last": ...}
with every timed run (emohr bench ops --compare interleaves these with its own runs, shape by shape).
Otherwise prints JSON: {"torch": version, "threads": n, "batch": N, "rows": [{"name", "layout", "cin", "cout",
"k", "stride", "in_h", "in_w", "out_h", "out_w", "count", "forward_s", "backward_s" (medians),
"forward_min_s", "backward_min_s" (fastest), "forward_gflops", "backward_gflops" (from the medians)}, ...], "totals": {layout: {"forward_s", "backward_s"}}} where totals weigh each
shape by its count in the model.
"""
import argparse, json, statistics, sys, time
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=64); ap.add_argument("--height", type=int, default=128)
ap.add_argument("--width", type=int, default=300); ap.add_argument("--repetitions", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--min-seconds", type=float, default=0.0)
ap.add_argument("--serve", action="store_true", help="time shapes on request (stdin: one index per line; stdout: JSON lines)")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


def down(s):
    return ((s[0] - 1) // 2 + 1, (s[1] - 1) // 2 + 1)


inp = (a.height, a.width); stem = down(inp); r0 = down(stem); r1 = down(r0); r2 = down(r1); r3 = down(r2)
entries = [
    ("stem.0", 1, 64, 3, 2, inp, 1), ("stem.1", 64, 64, 3, 2, stem, 1),
    ("layer1.conv1", 64, 32, 1, 1, r0, 1), ("layer1.conv2", 32, 32, 3, 1, r0, 1),
    ("layer1.conv3", 32, 128, 1, 1, r0, 1), ("layer1.downsample", 64, 128, 1, 1, r0, 1),
    ("trans1.0", 128, 16, 3, 1, r0, 1), ("trans1.1", 128, 32, 3, 2, r0, 1),
    ("branch16.3x3", 16, 16, 3, 1, r0, 12), ("branch32.3x3", 32, 32, 3, 1, r1, 12),
    ("branch64.3x3", 64, 64, 3, 1, r2, 8), ("branch128.3x3", 128, 128, 3, 1, r3, 4),
    ("trans2", 32, 64, 3, 2, r1, 1), ("trans3", 64, 128, 3, 2, r2, 1),
    ("fuse.up 32→16", 32, 16, 1, 1, r1, 3), ("fuse.up 64→16", 64, 16, 1, 1, r2, 2),
    ("fuse.up 128→16", 128, 16, 1, 1, r3, 1), ("fuse.up 64→32", 64, 32, 1, 1, r2, 2),
    ("fuse.up 128→32", 128, 32, 1, 1, r3, 1), ("fuse.up 128→64", 128, 64, 1, 1, r3, 1),
    ("fuse.down 16→32", 16, 32, 3, 2, r0, 3), ("fuse.down 16→16", 16, 16, 3, 2, r0, 3),
    ("fuse.down 16→64", 16, 64, 3, 2, r1, 2), ("fuse.down 32→64", 32, 64, 3, 2, r1, 2),
    ("fuse.down 16→16 (r1)", 16, 16, 3, 2, r1, 1), ("fuse.down 32→32", 32, 32, 3, 2, r1, 1),
    ("fuse.down 16→128", 16, 128, 3, 2, r2, 1), ("fuse.down 32→128", 32, 128, 3, 2, r2, 1),
    ("fuse.down 64→128", 64, 128, 3, 2, r2, 1), ("head.0", 240, 240, 1, 1, r0, 1),
]
shapes = []
for name, cin, cout, k, s, size, count in entries:
    for sh in shapes:
        if (sh["cin"], sh["cout"], sh["k"], sh["stride"], sh["in_h"], sh["in_w"]) == (cin, cout, k, s, size[0], size[1]):
            sh["name"] += ", " + name; sh["count"] += count; break
    else:
        shapes.append(dict(name=name, cin=cin, cout=cout, k=k, stride=s, in_h=size[0], in_w=size[1], count=count))


def runs(fn, reps):
    """One warm-up, then at least `reps` runs and until they add up to --min-seconds (at most 20 × reps):
    the rule of EmoTensor's timedRuns. Returns the run times in seconds."""
    fn()
    ts = []
    while len(ts) < reps or (sum(ts) < a.min_seconds and len(ts) < 20 * reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return ts


def measure(sh, fmt):
    """Forward and backward run times (seconds, after one warm-up) of one shape in one layout."""
    N, pad = a.batch, sh["k"] // 2
    x = torch.randn(N, sh["cin"], sh["in_h"], sh["in_w"]).contiguous(memory_format=fmt)
    w = (0.1 * torch.randn(sh["cout"], sh["cin"], sh["k"], sh["k"])).contiguous(memory_format=fmt)
    with torch.no_grad():
        y = F.conv2d(x, w, stride=sh["stride"], padding=pad)
        fwd = runs(lambda: F.conv2d(x, w, stride=sh["stride"], padding=pad), a.repetitions)
        dy = torch.randn_like(y).contiguous(memory_format=fmt)
        need_input = sh["name"] != "stem.0"
        bwd = runs(lambda: torch.ops.aten.convolution_backward(
            dy, x, w, None, [sh["stride"]] * 2, [pad] * 2, [1, 1], False, [0, 0], 1, [need_input, True, False]), a.repetitions)
    return y, need_input, fwd, bwd


layouts = (("nchw", torch.contiguous_format), ("channels_last", torch.channels_last))

if a.serve:
    # Paired timing: the caller asks for one shape at a time ("<index>" per line on stdin) between
    # its own timings of that shape, and gets one JSON line back with the run times of both layouts.
    print(json.dumps(dict(torch=torch.__version__, threads=torch.get_num_threads(), shapes=[sh["name"] for sh in shapes]),
                     ensure_ascii=False), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        sh = shapes[int(line)]
        reply = dict(index=int(line), name=sh["name"])
        for layout, fmt in layouts:
            _, _, fwd, bwd = measure(sh, fmt)
            reply[layout] = dict(forward=fwd, backward=bwd)
        print(json.dumps(reply, ensure_ascii=False), flush=True)
    sys.exit(0)

rows = []
totals = {}
for layout, fmt in layouts:
    tf = tb = 0.0
    for sh in shapes:
        y, need_input, fwd_runs, bwd_runs = measure(sh, fmt)
        fwd, fwd_min, bwd, bwd_min = statistics.median(fwd_runs), min(fwd_runs), statistics.median(bwd_runs), min(bwd_runs)
        flops = 2.0 * a.batch * sh["cout"] * y.shape[2] * y.shape[3] * sh["cin"] * sh["k"] ** 2
        rows.append(dict(sh, layout=layout, out_h=y.shape[2], out_w=y.shape[3], forward_s=fwd, backward_s=bwd, forward_min_s=fwd_min, backward_min_s=bwd_min,
                         forward_gflops=flops / fwd * 1e-9, backward_gflops=flops * (2 if need_input else 1) / bwd * 1e-9))
        tf += fwd * sh["count"]; tb += bwd * sh["count"]
    totals[layout] = dict(forward_s=tf, backward_s=tb)
print(json.dumps(dict(torch=torch.__version__, threads=torch.get_num_threads(), batch=a.batch, rows=rows, totals=totals), indent=1, ensure_ascii=False))

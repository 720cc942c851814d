"""PyTorch counterpart of `seqlab bench train` (src/ops/bench.rs): training steps/s, batch 64, T 32, width 64.

Same models (pre-LN causal Transformer with learned positions, 2 layers, 4 heads,
d_ff = 4d, GELU; 2-layer LSTM and GRU of width 64 with an embedding and a linear
readout), same optimizer (AdamW lr 1e-3, weight decay 0.01, betas 0.9/0.999,
eps 1e-8), global-norm clipping at 1.0, cross-entropy over every position, the loss read
back every step. 3 warm-up steps, then N timed steps (default 30).

    python bench/pytorch_bench.py [steps] [model ...] [--seq-len T] [--threads N]

`--seq-len` sets T (default 32, as `seqlab bench train --seq-len`); `--threads` sets
PyTorch's intra-op threads (default: PyTorch's own choice, one per core). The header line
names the CPU and the kernel path (instruction set) PyTorch's CPU kernels took.
"""
import argparse
import platform
import time
import warnings

# The CPU wheel works without NumPy; its import warning is noise here.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

B, V, D = 64, 16, 64
T = 32  # set by --seq-len
WARMUP = 3


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
        x = x + a
        return x + self.ff(self.ln2(x))


class Transformer(nn.Module):
    def __init__(self, vocab, classes, t, depth=2, heads=4, d=D):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(t, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(depth))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        t = x.shape[1]
        h = self.tok(x) + self.pos(torch.arange(t))
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        for blk in self.blocks:
            h = blk(h, mask)
        return self.head(self.ln_f(h))


class Rnn(nn.Module):
    def __init__(self, cell, depth, vocab, classes, d=D):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.rnn = cell(d, d, num_layers=depth, batch_first=True)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.rnn(self.emb(x))[0])


MODELS = {
    "transformer": lambda: Transformer(V, V, T),
    "lstm": lambda: Rnn(nn.LSTM, 2, V, V),
    "lstm1": lambda: Rnn(nn.LSTM, 1, V, V),
    "gru": lambda: Rnn(nn.GRU, 2, V, V),
}


def bench(name, steps):
    # T is a module global set by --seq-len; the models read it when built.
    torch.manual_seed(0)
    model = MODELS[name]()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01, eps=1e-8)
    g = torch.Generator().manual_seed(0)
    stamps, cpu = [], []
    for _ in range(WARMUP + steps):
        x = torch.randint(0, V, (B, T), generator=g)
        y = torch.randint(0, V, (B, T), generator=g)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
        stamps.append(time.perf_counter())
        cpu.append(time.process_time())
    dt = stamps[-1] - stamps[WARMUP - 1]
    cpu_ms = (cpu[-1] - cpu[WARMUP - 1]) * 1e3 / steps
    print(f"{name:12} {steps / dt:7.1f} steps/s  ({dt * 1e3 / steps:.2f} ms/step, cpu {cpu_ms:.2f} ms/step)")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    global T
    ap = argparse.ArgumentParser(description="PyTorch counterpart of `seqlab bench train`")
    ap.add_argument("steps", nargs="?", type=int, default=30)
    ap.add_argument("models", nargs="*", help=f"default: all of {', '.join(MODELS)}")
    ap.add_argument("--seq-len", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_intermixed_args()
    T = args.seq_len
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    names = args.models or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    print(f"PyTorch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"batch {B}, T {T}, {args.steps} timed steps after {WARMUP} warm-up")
    print(f"cpu: {cpu_model()}; PyTorch kernels: "
          f"{torch.backends.cpu.get_cpu_capability()} (oneDNN {torch.backends.mkldnn.is_available()})")
    for name in names:
        bench(name, args.steps)


if __name__ == "__main__":
    main()

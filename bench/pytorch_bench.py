"""PyTorch counterpart of `seqlab bench train` (src/ops/bench.rs): training steps/s, batch 64, T 32, width 64.

Same models (pre-LN causal Transformer with learned positions, 2 layers, 4 heads,
d_ff = 4d, GELU; 2-layer LSTM and GRU of width 64 with an embedding and a linear
readout), same optimizer (AdamW lr 1e-3, weight decay 0.01, betas 0.9/0.999,
eps 1e-8), global-norm clipping at 1.0, cross-entropy over every position, the loss read
back every step. 3 warm-up steps, then N timed steps (default 30).

    python bench/pytorch_bench.py [steps] [model ...]
"""
import sys
import time

import torch
import torch.nn as nn

B, T, V, D = 64, 32, 16, 64
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
    def __init__(self, depth=2, heads=4):
        super().__init__()
        self.tok = nn.Embedding(V, D)
        self.pos = nn.Embedding(T, D)
        self.blocks = nn.ModuleList(Block(D, heads) for _ in range(depth))
        self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, V)

    def forward(self, x):
        t = x.shape[1]
        h = self.tok(x) + self.pos(torch.arange(t))
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        for blk in self.blocks:
            h = blk(h, mask)
        return self.head(self.ln_f(h))


class Rnn(nn.Module):
    def __init__(self, cell, depth):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.rnn = cell(D, D, num_layers=depth, batch_first=True)
        self.head = nn.Linear(D, V)

    def forward(self, x):
        return self.head(self.rnn(self.emb(x))[0])


MODELS = {
    "transformer": lambda: Transformer(),
    "lstm": lambda: Rnn(nn.LSTM, 2),
    "lstm1": lambda: Rnn(nn.LSTM, 1),
    "gru": lambda: Rnn(nn.GRU, 2),
}


def bench(name, steps):
    torch.manual_seed(0)
    model = MODELS[name]()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01, eps=1e-8)
    g = torch.Generator().manual_seed(0)
    stamps = []
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
    dt = stamps[-1] - stamps[WARMUP - 1]
    print(f"{name:12} {steps / dt:7.1f} steps/s  ({dt * 1e3 / steps:.2f} ms/step)")


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    names = sys.argv[2:] or list(MODELS)
    print(f"PyTorch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"batch {B}, T {T}, {steps} timed steps after {WARMUP} warm-up")
    for name in names:
        bench(name, steps)


if __name__ == "__main__":
    main()

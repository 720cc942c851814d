"""PyTorch counterpart of `seqlab run bench/sweep.yaml` for the sweep-throughput figure.

The same eight trainings (a 1-layer LSTM and a 2-layer Transformer, width 64, four seeds
each; parity at T = 16 with fresh batches of 64; AdamW lr 3e-3, weight decay 0.01, linear
warm-up over 30 steps then cosine decay, clipping at 1.0; 300 steps, no early stopping;
the weights saved at the end), run by `--procs` worker processes (default 2) of one
PyTorch thread each, the way one would run a sweep on a small machine. Prints the wall
time of the whole sweep (process start-up and `import torch` included, as for seqlab).

    python bench/pytorch_sweep.py [--procs N] [--steps N]
"""
import argparse
import math
import multiprocessing as mp
import os
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # pytorch_bench, in workers too

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

B, T, WIDTH, LR, WARMUP = 64, 16, 64, 3e-3, 30
JOBS = [("lstm", 1, seed) for seed in range(4)] + [("transformer", 2, seed) for seed in range(4)]


def init_worker():
    import torch

    torch.set_num_threads(1)


def train(job):
    import torch
    import torch.nn as nn

    from pytorch_bench import Rnn, Transformer

    family, layers, seed, steps, out_dir = job
    started = time.perf_counter()
    torch.manual_seed(seed)
    if family == "lstm":
        model = Rnn(nn.LSTM, layers, 2, 2, d=WIDTH)
    else:
        model = Transformer(2, 2, T, depth=layers, heads=4, d=WIDTH)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01, eps=1e-8)

    def lr_at(step):
        if step < WARMUP:
            return (step + 1) / WARMUP
        return 0.5 * (1 + math.cos(math.pi * (step - WARMUP) / max(1, steps - WARMUP)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randint(0, 2, (B, T), generator=g)
        y = torch.cumsum(x, dim=1) % 2  # running parity
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, 2), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        loss.item()
    torch.save(model.state_dict(), os.path.join(out_dir, f"{family}{layers}-{seed}.pt"))
    return family, seed, time.perf_counter() - started, loss.item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out_dir:
        jobs = [(f, layers, seed, args.steps, out_dir) for f, layers, seed in JOBS]
        ctx = mp.get_context("spawn")
        with ctx.Pool(args.procs, initializer=init_worker) as pool:
            results = pool.map(train, jobs, chunksize=1)
    for family, seed, secs, loss in results:
        print(f"{family:12} seed {seed}: {secs:6.2f} s, final loss {loss:.4f}")
    print(f"sweep: {len(JOBS)} trainings, {args.procs} processes x 1 thread: "
          f"{time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()

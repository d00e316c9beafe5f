"""Opacus baseline of bench/fashion-mnist-accuracy.mjs: the same recipe in PyTorch + Opacus, on the same machine.

Papernot et al. 2020 tanh CNN on the full Debian dataset-fashion-mnist (pixels / 255, as dpledger's loadIdx), Poisson
sampling with expected batch 2048, SGD lr 4 momentum 0.9, per-example clipping to C = 0.1, 40 epochs, test accuracy
after every epoch (inside the wall time, as the dpledger run), 2 torch threads. sigma is given (default 1.9216, the
noise multiplier dpledger calibrates by RDP for epsilon 3 at delta 1e-5 over these 40 epochs; 1.8007 by PLD), and
Opacus's own RDP accountant prints its epsilon. Needs Debian's python3-torch and the Opacus copies bundled in the
side-by-side kit:
  PYTHONPATH=../shared/bench/opacus-side-by-side/py/opacus-1.4.0:../shared/bench/opacus-side-by-side/py/lib \
    /usr/bin/time -v /usr/bin/python3 packages/trainer/bench/opacus-fashion-mnist.py [--sigma 1.8007]
"""
import argparse
import gzip
import os
import resource
import struct
import time

import torch
from torch import nn
from opacus import PrivacyEngine

p = argparse.ArgumentParser()
p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
p.add_argument("--epochs", type=int, default=40)
p.add_argument("--batch", type=int, default=2048)
p.add_argument("--lr", type=float, default=4.0)
p.add_argument("--momentum", type=float, default=0.9)
p.add_argument("--clip", type=float, default=0.1)
p.add_argument("--sigma", type=float, default=1.9216)
p.add_argument("--delta", type=float, default=1e-5)
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()
started = time.perf_counter()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def idx(name):
    """An IDX file (big-endian dims after a 4-byte magic whose last byte is the rank) as a uint8 tensor."""
    with gzip.open(os.path.join(args.data, name), "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4 : 4 + 4 * rank])
    return torch.frombuffer(bytearray(raw[4 + 4 * rank :]), dtype=torch.uint8).reshape(dims)


def split(prefix):
    x = (idx(f"{prefix}-images-idx3-ubyte.gz").float() / 255.0).unsqueeze(1)
    return x, idx(f"{prefix}-labels-idx1-ubyte.gz").long()


x_train, y_train = split("train")
x_test, y_test = split("t10k")
model = nn.Sequential(  # Papernot et al. 2020, as buildModel('tanh-cnn')
    nn.Conv2d(1, 16, 8, 2, padding=3), nn.Tanh(), nn.MaxPool2d(2, 1),
    nn.Conv2d(16, 32, 4, 2), nn.Tanh(), nn.MaxPool2d(2, 1),
    nn.Flatten(), nn.Linear(32 * 4 * 4, 32), nn.Tanh(), nn.Linear(32, 10),
)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=args.batch)
engine = PrivacyEngine(accountant="rdp")
model, optimizer, loader = engine.make_private(
    module=model, optimizer=optimizer, data_loader=loader, noise_multiplier=args.sigma, max_grad_norm=args.clip,
    poisson_sampling=True)
criterion = nn.CrossEntropyLoss()


def test_accuracy():
    model.eval()
    with torch.no_grad():
        correct = sum((model(x_test[i : i + 1000]).argmax(1) == y_test[i : i + 1000]).sum().item()
                      for i in range(0, len(y_test), 1000))
    model.train()
    return correct / len(y_test)


print(f"opacus {getattr(__import__('opacus'), '__version__', '?')}, torch {torch.__version__}, sigma {args.sigma}, "
      f"q {args.batch / len(y_train):.5f}, {args.epochs} epochs", flush=True)
first = None
steps = 0
for epoch in range(1, args.epochs + 1):
    for x, y in loader:
        optimizer.zero_grad(set_to_none=True)
        criterion(model(x), y).backward()
        optimizer.step()
        steps += 1
    acc = test_accuracy()
    eps = engine.get_epsilon(args.delta)
    elapsed = time.perf_counter() - started
    if first is None and acc >= 0.865:
        first = (epoch, elapsed, eps, acc)
    print(f"epoch {epoch}  test accuracy {acc * 100:.2f}%  epsilon {eps:.3f} (rdp)  {elapsed:.0f} s", flush=True)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"RESULT test accuracy {acc * 100:.2f}%  epsilon {eps:.3f} (RDP) at delta {args.delta}  steps {steps}  "
      f"wall {time.perf_counter() - started:.0f} s  peak RSS {peak} MB  first >= 86.5%: "
      + (f"epoch {first[0]} at {first[1]:.0f} s ({first[3] * 100:.2f}%, epsilon {first[2]:.3f})" if first else "never"))

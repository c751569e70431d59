"""PyTorch's side of the quality-per-minute curves (scripts/quality-curves).

Trains the model `recurrent train --corpus text` trains, with PyTorch's fused
`nn.LSTM` on CPU, for a fixed wall time, and prints the validation loss as it
goes. The same text split (the last `--val-fraction` of the characters held
out), the same streams (`--batch` parallel streams read in windows of
`--steps` characters, the state carried from window to window), the same
model (an embedding of `--letter` per character, LSTM layers, dropout on the
inputs of upper layers and on the decoder's input, a linear decoder), Adam,
gradients clipped at 5, and the same rate schedule (linear warm-up over
`--warmup` ticks; cosine from the rate to a tenth of it over the wall time).
Validation scores the held-out text as `--batch` streams in windows of
`--steps`, without dropout, every `--val-interval` ticks, as ours does.

Prints `VAL <seconds> <tick> <loss>` lines (mean nats per character) and a
final `DONE <ticks> <chars/s>`.
"""
import argparse
import math
import time

import torch
from torch import nn

from torch_text import encode, streams, train_window


class CharLSTM(nn.Module):
    def __init__(self, symbols: int, hidden: list[int], letter: int, dropout: float):
        super().__init__()
        self.embed = nn.Embedding(symbols, letter)
        sizes = [letter, *hidden]
        self.layers = nn.ModuleList(nn.LSTM(sizes[index], sizes[index + 1]) for index in range(len(hidden)))
        self.dropout = nn.Dropout(dropout)
        self.decode = nn.Linear(hidden[-1], symbols)

    def forward(self, inputs, states):
        x, out = self.embed(inputs), []
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = self.dropout(x)
            x, state = layer(x, states[index] if states else None)
            out.append(state)
        return self.decode(self.dropout(x)), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text", required=True)
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--letter", type=int, default=64)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--lr", type=float, default=0.002)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--schedule", choices=["constant", "cosine"], default="constant")
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--val-interval", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=900)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    torch.set_num_threads(arguments.threads)
    torch.manual_seed(arguments.seed)
    with open(arguments.text, encoding="utf-8") as file:
        text = file.read()
    encoded, symbol_count = encode(text)
    held_out = int(len(encoded) * arguments.val_fraction)
    training = streams(encoded[: len(encoded) - held_out], arguments.batch)
    validation = streams(encoded[len(encoded) - held_out:], min(arguments.batch, max(1, held_out // 2)))

    hidden = [int(size) for size in arguments.hidden.split(",")]
    model = CharLSTM(symbol_count, hidden, arguments.letter, arguments.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=arguments.lr)
    loss_function = nn.CrossEntropyLoss()

    def windows(grid: torch.Tensor):
        for start in range(0, grid.shape[0] - 1, arguments.steps):
            window = grid[start: start + arguments.steps + 1]
            if window.shape[0] >= 2:
                yield window

    def validate() -> float:
        model.eval()
        total, count, states = 0.0, 0, None
        with torch.no_grad():
            for window in windows(validation):
                logits, states = model(window[:-1], states)
                total += float(nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                           window[1:].reshape(-1), reduction="sum"))
                count += window[1:].numel()
        model.train()
        return total / count

    start = time.perf_counter()
    ticks, characters, states = 0, 0, None
    batches = windows(training)
    while True:
        elapsed = time.perf_counter() - start
        if elapsed >= arguments.seconds:
            break
        factor = 1.0
        if arguments.warmup and ticks < arguments.warmup:
            factor = (ticks + 1) / arguments.warmup
        if arguments.schedule == "cosine":
            factor *= 0.1 + 0.9 * (1 + math.cos(math.pi * min(1.0, elapsed / arguments.seconds))) / 2
        for group in optimizer.param_groups:
            group["lr"] = arguments.lr * factor
        window = next(batches, None)
        if window is None:
            batches, states = windows(training), None
            window = next(batches)
        if states is not None:
            states = [tuple(part.detach() for part in state) for state in states]
        states = train_window(model, optimizer, loss_function, window, states)
        ticks += 1
        characters += window[1:].numel()
        if ticks % arguments.val_interval == 0:
            print(f"VAL {time.perf_counter() - start:.1f} {ticks} {validate():.4f}", flush=True)
    print(f"DONE {ticks} {characters / (time.perf_counter() - start):.0f}", flush=True)


if __name__ == "__main__":
    main()

"""PyTorch's side of the speed comparison (scripts/bench-vs-pytorch).

Trains the shapes of `recurrent-bench --suite peer` with PyTorch's fused
`nn.LSTM` on CPU: an embedding of 64 per character, two LSTM layers, a linear
decoder, cross-entropy, Adam at 0.002 and gradients clipped at 5, on the same
text split into `batch` parallel streams read in windows of `steps`
characters, the state carried from window to window (truncated
backpropagation, as char-rnn and our text trainer do). Prints one line a
shape in the peer suite's format:

    PEER <shape> <threads> <median> <min> <max> <GFLOP/s>

training characters per second, over `--runs` timed runs of `--seconds`
each after three warm-up ticks.
"""
import argparse
import statistics
import time

import torch
from torch import nn

from torch_text import encode, streams, train_window


class CharLSTM(nn.Module):
    def __init__(self, symbols: int, hidden: int, letter: int = 64):
        super().__init__()
        self.embed = nn.Embedding(symbols, letter)
        self.lstm = nn.LSTM(letter, hidden, num_layers=2)
        self.decode = nn.Linear(hidden, symbols)

    def forward(self, inputs, state):
        output, state = self.lstm(self.embed(inputs), state)
        return self.decode(output), state


def multiply_adds_per_character(symbols: int, hidden: int, letter: int = 64) -> float:
    """The products' forward multiply-adds per character, counted as the Swift bench counts them."""
    layers = 4 * hidden * (letter + hidden) + 4 * hidden * (hidden + hidden)
    return float(layers + symbols * hidden)


def sgemm_peak(threads: int, seconds: float) -> float:
    """GFLOP/s of PyTorch's sgemm on 1024x1024 matrices (the machine's practical peak)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(3):
        torch.mm(a, b)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        torch.mm(a, b)
        count += 1
    return count * 2 * 1024**3 / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--text", help="the corpus, repeated to 400 000 characters")
    parser.add_argument("--hidden", type=int)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--peak", action="store_true", help="print sgemm's GFLOP/s instead (PEAK <threads> <GFLOP/s>)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    arguments = parser.parse_args()
    if arguments.peak:
        print(f"PEAK {arguments.threads} {sgemm_peak(arguments.threads, arguments.seconds):.1f}")
        return
    if None in (arguments.text, arguments.hidden, arguments.batch, arguments.steps):
        parser.error("--text, --hidden, --batch and --steps are required unless --peak")

    torch.set_num_threads(arguments.threads)
    torch.manual_seed(1)
    with open(arguments.text, encoding="utf-8") as file:
        corpus = file.read()
    text = corpus
    while len(text) < 400_000:
        text += corpus
    encoded, symbol_count = encode(text)
    grid = streams(encoded, arguments.batch)
    stream_length = grid.shape[0]

    model = CharLSTM(symbol_count, arguments.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    loss_function = nn.CrossEntropyLoss()
    position = 0
    state = None

    def tick() -> int:
        nonlocal position, state
        if position + arguments.steps + 1 > stream_length:
            position, state = 0, None
        window = grid[position : position + arguments.steps + 1]
        position += arguments.steps
        if state is not None:
            state = tuple(part.detach() for part in state)
        state = train_window(model, optimizer, loss_function, window, state)
        return arguments.steps * arguments.batch

    for _ in range(3):
        tick()
    rates = []
    for _ in range(arguments.runs):
        start = time.perf_counter()
        characters, elapsed = 0, 0.0
        while elapsed < arguments.seconds:
            characters += tick()
            elapsed = time.perf_counter() - start
        rates.append(characters / elapsed)
    median = statistics.median(rates)
    gigaflops = median * multiply_adds_per_character(symbol_count, arguments.hidden) * 2 * 3 / 1e9
    name = f"lstm-2x{arguments.hidden}-b{arguments.batch}-t{arguments.steps}"
    print(f"PEER {name:<28} {arguments.threads:4d} {median:10.0f} {min(rates):10.0f} {max(rates):10.0f} {gigaflops:9.1f}")


if __name__ == "__main__":
    main()

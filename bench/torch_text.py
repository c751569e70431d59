"""What bench/pytorch_peer.py and bench/pytorch_quality.py share, so that both
read and train as ours does: the text as character indices (0 is START/END,
as in the Swift vocabulary), parallel streams of it, and one training step
on a window (cross-entropy over the window, gradients clipped at 5 per value,
the original library's rule, one optimizer step)."""
import torch
from torch import nn


def encode(text: str) -> tuple[torch.Tensor, int]:
    """The text's character indices, and the symbol count (START/END included)."""
    symbols = {character: index + 1 for index, character in enumerate(sorted(set(text)))}
    return torch.tensor([symbols[character] for character in text], dtype=torch.long), len(symbols) + 1


def streams(encoded: torch.Tensor, width: int) -> torch.Tensor:
    """`width` contiguous streams of `encoded` as the columns of a (length, width) tensor."""
    length = len(encoded) // width
    return encoded[: length * width].view(width, length).t().contiguous()


def train_window(model, optimizer, loss_function, window, state):
    """Trains on `window` (steps + 1 rows of streams) from `state`; returns the new state."""
    logits, state = model(window[:-1], state)
    loss = loss_function(logits.reshape(-1, logits.shape[-1]), window[1:].reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_value_(model.parameters(), 5.0)
    optimizer.step()
    return state

"""One training step of a PyTorch character model on one window, shared by
bench/pytorch_peer.py and bench/pytorch_quality.py so that both train as
ours does: cross-entropy over the window, gradients clipped at 5 per value
(the original library's rule), one optimizer step."""
from torch import nn


def train_window(model, optimizer, loss_function, window, state):
    """Trains on `window` (steps + 1 rows of streams) from `state`; returns the new state."""
    logits, state = model(window[:-1], state)
    loss = loss_function(logits.reshape(-1, logits.shape[-1]), window[1:].reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_value_(model.parameters(), 5.0)
    optimizer.step()
    return state

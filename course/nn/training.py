"""The training loop: shuffled mini-batches, forward, loss, backward, optimizer step; per-epoch
loss and accuracy on the training and validation sets; a tqdm progress bar."""
import numpy as np
from tqdm.auto import tqdm

from .history import History


def _check_data(X, y, name):
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"fit: {name} has {len(X)} examples but its targets have {len(y)}.")
    if len(X) == 0:
        raise ValueError(f"fit: {name} is empty.")
    return X, y


def _batches(count, batch_size, order=None):
    order = np.arange(count) if order is None else order
    for start in range(0, count, batch_size):
        yield order[start:start + batch_size]


def evaluate(model, loss, X, y, batch_size=256):
    """``(mean loss, accuracy)`` of ``model`` on ``(X, y)`` in eval mode (accuracy is None for a
    loss that does not predict classes). The model's mode is restored afterwards."""
    X, y = _check_data(X, y, "the evaluation data")
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    try:
        for index in _batches(len(X), batch_size):
            output = model.forward(X[index])
            total_loss += loss(output, y[index]) * len(index)
            if loss.predicts_classes:
                correct += int(np.sum(np.argmax(output, axis=1) == y[index]))
    finally:
        model.train(was_training)
    return total_loss / len(X), (correct / len(X) if loss.predicts_classes else None)


def predict(model, X, batch_size=256):
    """The model's outputs for ``X`` in eval mode (for a classifier: ``argmax(..., axis=1)`` of them)."""
    was_training = model.training
    model.eval()
    try:
        return np.concatenate([model.forward(np.asarray(X)[index]) for index in _batches(len(X), batch_size)])
    finally:
        model.train(was_training)


def fit(model, loss, optimizer, X, y, epochs, batch_size, seed=0, X_val=None, y_val=None,
        progress=True, scheduler=None):
    """Train ``model`` for ``epochs`` passes over ``(X, y)`` in shuffled mini-batches of ``batch_size``.

    Each step: ``out = model.forward(batch)``, ``loss(out, targets)``, ``model.backward(loss.backward())``,
    ``optimizer.step(model.gradients())``. The order of the examples is reshuffled every epoch from
    ``np.random.default_rng(seed)``. The training loss (and accuracy) of an epoch is the average
    over its batches, measured while training (dropout active, weights still moving); validation
    is measured in eval mode after the epoch. ``scheduler`` (optional) steps once per epoch.
    ``progress=False`` hides the progress bar. Returns a History.
    """
    X, y = _check_data(X, y, "X")
    if (X_val is None) != (y_val is None):
        raise ValueError("fit: pass both X_val and y_val, or neither.")
    if int(batch_size) < 1 or int(epochs) < 0:
        raise ValueError(f"fit: batch_size must be >= 1 and epochs >= 0, got {batch_size} and {epochs}.")
    rng = np.random.default_rng(seed)
    history = History()
    bar = tqdm(range(int(epochs)), desc="training", unit="epoch", disable=not progress)
    for _epoch in bar:
        model.train()
        history.lr.append(optimizer.lr)
        total_loss, correct = 0.0, 0
        for index in _batches(len(X), int(batch_size), rng.permutation(len(X))):
            output = model.forward(X[index])
            total_loss += loss(output, y[index]) * len(index)
            if loss.predicts_classes:
                correct += int(np.sum(np.argmax(output, axis=1) == y[index]))
            model.backward(loss.backward())
            optimizer.step(model.gradients())
        history.train_loss.append(total_loss / len(X))
        if loss.predicts_classes:
            history.train_accuracy.append(correct / len(X))
        if X_val is not None:
            val_loss, val_accuracy = evaluate(model, loss, X_val, y_val, int(batch_size))
            history.val_loss.append(val_loss)
            if val_accuracy is not None:
                history.val_accuracy.append(val_accuracy)
        if scheduler is not None:
            scheduler.step()
        bar.set_postfix(_summary(history))
    bar.close()
    return history


def _summary(history):
    values = {"loss": history.train_loss, "acc": history.train_accuracy,
              "val_loss": history.val_loss, "val_acc": history.val_accuracy}
    return {name: f"{series[-1]:.3f}" for name, series in values.items() if series}

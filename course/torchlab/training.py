"""The training loop every PyTorch lab shares, so that a notebook shows only the model, the loss
and the curves.

    history = fit(model, train_loader, val_loader, epochs=10,
                  optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3))
    history.plot()

One tqdm bar over the epochs; mixed precision on CUDA (see ``precision``); optional
``torch.compile``, gradient clipping and a learning-rate schedule; a checkpoint after every epoch
that a later call resumes from. torch equivalents: the loop of the PyTorch tutorials,
``torch.autocast``, ``torch.nn.utils.clip_grad_norm_``, ``torch.optim.lr_scheduler``.
"""
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import checkpoint as checkpoints
from .device import best_device
from .history import History
from .precision import autocast, autocast_dtype, grad_scaler

METRICS = ("accuracy",)


def to_device(value, device):
    """``value`` (a tensor, or a list, tuple or dict of them) on ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=True)
    if isinstance(value, (list, tuple)):
        return type(value)(to_device(item, device) for item in value)
    if isinstance(value, dict):
        return {key: to_device(item, device) for key, item in value.items()}
    return value


class _Forward:
    """Calls the compiled model while it works, the plain one after it failed once."""

    def __init__(self, model, compile):
        self.model, self.compiled = model, None
        if compile:
            try:
                self.compiled = torch.compile(model)
            except Exception as error:
                self._give_up(error)

    def _give_up(self, error):
        print(f"torch.compile could not compile the model ({type(error).__name__}); "
              "training without it.")
        self.compiled = None

    def __call__(self, inputs):
        if self.compiled is not None:
            try:
                return self.compiled(inputs)
            except Exception as error:
                self._give_up(error)
        return self.model(inputs)


def _pairs(loader):
    for batch in loader:
        if not (isinstance(batch, (list, tuple)) and len(batch) == 2):
            raise ValueError("fit needs loaders that give (inputs, targets) pairs, got a batch "
                             f"of type {type(batch).__name__}.")
        yield batch


class _Tally:
    """Sums of loss and correct predictions kept on the device, read once per epoch (reading a
    GPU number every batch would make the GPU wait for Python)."""

    def __init__(self, metrics):
        self.accuracy = "accuracy" in metrics
        self.loss = self.correct = 0.0
        self.examples = self.labels = 0

    def add(self, outputs, targets, loss):
        count = targets.shape[0] if targets.ndim else 1
        self.loss = self.loss + loss.detach().float() * count
        self.examples += count
        if self.accuracy:
            if targets.is_floating_point() or outputs.ndim < 2:
                raise ValueError("metrics=('accuracy',) needs class-index targets and one score "
                                 "per class; pass metrics=() for other tasks (an autoencoder, "
                                 "a regression).")
            self.correct = self.correct + (outputs.argmax(1) == targets).sum()
            self.labels += targets.numel()

    def result(self):
        if not self.examples:
            raise ValueError("fit got a loader without a single batch.")
        loss = float(self.loss) / self.examples
        accuracy = float(self.correct) / self.labels if self.accuracy else None
        return loss, accuracy


def _train_epoch(forward, model, loader, optimizer, loss_fn, scheduler, scheduler_step, device,
                 dtype, scaler, clip_grad_norm, metrics):
    model.train()
    tally = _Tally(metrics)
    for inputs, targets in _pairs(loader):
        inputs, targets = to_device(inputs, device), to_device(targets, device)
        optimizer.zero_grad(set_to_none=True)
        with autocast(device, dtype):
            outputs = forward(inputs)
            loss = loss_fn(outputs, targets)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        if clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        if scheduler is not None and scheduler_step == "batch":
            scheduler.step()
        tally.add(outputs, targets, loss)
    return tally.result()


def evaluate(model, loader, loss_fn=F.cross_entropy, *, device=None, amp=True,
             metrics=METRICS, forward=None):
    """``(loss, accuracy)`` of ``model`` on ``loader`` in ``model.eval()`` mode without gradients
    (accuracy None when not in ``metrics``), the model given back in the mode it came in.
    torch equivalent: ``torch.no_grad()``."""
    device = torch.device(device) if device is not None else _model_device(model)
    dtype = autocast_dtype(device, amp)
    forward = forward or model
    was_training = model.training
    model.eval()
    tally = _Tally(metrics)
    try:
        with torch.no_grad():
            for inputs, targets in _pairs(loader):
                inputs, targets = to_device(inputs, device), to_device(targets, device)
                with autocast(device, dtype):
                    outputs = forward(inputs)
                    loss = loss_fn(outputs, targets)
                tally.add(outputs, targets, loss)
    finally:
        model.train(was_training)
    return tally.result()


def _model_device(model):
    parameter = next(iter(model.parameters()), None)
    if parameter is not None and parameter.device.type != "cpu":
        return parameter.device
    return best_device()


def _loader_state(loader):
    if hasattr(loader, "state_dict"):
        return {"state": loader.state_dict()}
    generator = getattr(loader, "generator", None)
    if isinstance(generator, torch.Generator):
        return {"generator": generator.get_state()}
    return {}


def _restore_loader(loader, state):
    if "state" in state and hasattr(loader, "load_state_dict"):
        loader.load_state_dict(state["state"])
    elif "generator" in state and isinstance(getattr(loader, "generator", None), torch.Generator):
        loader.generator.set_state(state["generator"])


def _scheduler_step(scheduler, loss):
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(loss)
    else:
        scheduler.step()


def _resume(path, model, optimizer, scheduler, scaler, train_loader):
    state = checkpoints.load(path, map_location="cpu")
    parts = [(model, "model", "this model"), (optimizer, "optimizer", "this optimizer")]
    if scheduler is not None:
        if state.get("scheduler") is None:
            raise checkpoints.unusable(path, "it was saved without a scheduler")
        parts.append((scheduler, "scheduler", "this scheduler"))
    try:
        for part, key, name in parts:
            where = name
            part.load_state_dict(state[key])
        where = "the random generators"
        checkpoints.set_rng_states(state["rng"])
        where = "the training loader"
        _restore_loader(train_loader, state.get("loader", {}))
        history = History.from_dict(state["history"])
        epoch = int(state["epoch"])
    except (KeyError, RuntimeError, ValueError, TypeError, IndexError) as error:
        first_line = (str(error).strip().splitlines() or [""])[0][:200]
        raise checkpoints.unusable(path, f"it does not fit {where}: {first_line}") from None
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    return epoch, history


def _check(epochs, scheduler_step, clip_grad_norm, metrics):
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit needs epochs as a positive integer, got {epochs!r}.")
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}.")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"clip_grad_norm must be a positive number or None, got "
                         f"{clip_grad_norm!r}.")
    unknown = [name for name in metrics if name not in METRICS]
    if isinstance(metrics, str) or unknown:
        raise ValueError(f"metrics must be a tuple of names among {METRICS}, got {metrics!r}.")


def fit(model, train_loader, val_loader=None, *, epochs, optimizer,
        loss_fn=F.cross_entropy, scheduler=None, scheduler_step="epoch", device=None, amp=True,
        compile=False, clip_grad_norm=None, checkpoint=None, progress=True,
        metrics=METRICS):
    """Train ``model`` for ``epochs`` epochs and return its ``History``.

    - loaders: any iterables of ``(inputs, targets)`` batches (a ``DataLoader``, a
      ``DeviceLoader``); batches are moved to ``device`` (default: where the model is, else the
      best device available).
    - ``scheduler`` steps after every epoch (``scheduler_step="epoch"``; ``ReduceLROnPlateau``
      gets the validation loss) or after every batch (``"batch"``, e.g. ``OneCycleLR``).
    - ``amp``: mixed precision on CUDA only (bfloat16, else float16 with a gradient scaler).
    - ``compile=True``: ``torch.compile(model)``, falling back to the plain model with one line.
    - ``clip_grad_norm``: the largest gradient norm (``torch.nn.utils.clip_grad_norm_``).
    - ``checkpoint``: a file written after every epoch; when it exists, training resumes from it.
    - ``metrics``: ``("accuracy",)`` for classifiers, ``()`` for anything else.

    The model is given back in the train/eval mode it came in (validating switches to eval mode
    for a moment): evaluating a trained model still asks for ``model.eval()`` of its own.
    """
    _check(epochs, scheduler_step, clip_grad_norm, metrics)
    was_training = model.training
    try:
        return _fit(model, train_loader, val_loader, epochs, optimizer, loss_fn, scheduler,
                    scheduler_step, device, amp, compile, clip_grad_norm, checkpoint, progress,
                    metrics)
    finally:
        model.train(was_training)


def _fit(model, train_loader, val_loader, epochs, optimizer, loss_fn, scheduler, scheduler_step,
         device, amp, compile, clip_grad_norm, checkpoint, progress, metrics):
    device = torch.device(device) if device is not None else _model_device(model)
    model.to(device)
    dtype = autocast_dtype(device, amp)
    scaler = grad_scaler(device, dtype)
    history, start = History(), 0
    if checkpoint is not None and Path(checkpoint).exists():
        start, history = _resume(checkpoint, model, optimizer, scheduler, scaler, train_loader)
        if start >= epochs:
            print(f"The checkpoint {checkpoint} already holds {start} epochs; nothing left to "
                  "train.")
            return history
        print(f"Resuming from epoch {start + 1} of {epochs}.")
    forward = _Forward(model, compile)
    bar = tqdm(total=epochs, initial=start, desc="training", unit="epoch", disable=not progress)
    try:
        for epoch in range(start, epochs):
            began = time.perf_counter()
            history.lr.append(optimizer.param_groups[0]["lr"])
            train_loss, train_accuracy = _train_epoch(
                forward, model, train_loader, optimizer, loss_fn, scheduler, scheduler_step,
                device, dtype, scaler, clip_grad_norm, metrics)
            history.train_loss.append(train_loss)
            postfix = {"loss": f"{train_loss:.3f}"}
            if train_accuracy is not None:
                history.train_accuracy.append(train_accuracy)
                postfix["acc"] = f"{train_accuracy:.3f}"
            val_loss = None
            if val_loader is not None:
                val_loss, val_accuracy = evaluate(model, val_loader, loss_fn, device=device,
                                                  amp=amp, metrics=metrics, forward=forward)
                history.val_loss.append(val_loss)
                postfix["val_loss"] = f"{val_loss:.3f}"
                if val_accuracy is not None:
                    history.val_accuracy.append(val_accuracy)
                    postfix["val_acc"] = f"{val_accuracy:.3f}"
            if scheduler is not None and scheduler_step == "epoch":
                _scheduler_step(scheduler, train_loss if val_loss is None else val_loss)
            history.seconds.append(time.perf_counter() - began)
            if checkpoint is not None:
                checkpoints.save(checkpoint, {
                    "epoch": epoch + 1, "epochs": epochs, "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": None if scheduler is None else scheduler.state_dict(),
                    "scaler": None if scaler is None else scaler.state_dict(),
                    "history": history.to_dict(), "rng": checkpoints.rng_states(),
                    "loader": _loader_state(train_loader)})
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)
    finally:
        bar.close()
    return history

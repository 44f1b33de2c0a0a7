"""Attention explorer: the weights of scaled dot-product attention as a heat map, with the mask
and the softmax temperature as controls.

    AttentionExplorer()                           # random queries and keys for a short sentence
    AttentionExplorer(scores=s, tokens=words)     # any (L, L) scores, e.g. from a trained model

``AttentionMap`` holds the state and the maths (plain NumPy, tested headless): the weights are
``softmax(scores / temperature)`` over the keys a query may attend to, with ``mask`` one of
"none", "padding" (the keys from ``length`` on are padding), "causal" (query i sees keys 0..i) or
"padding + causal". ``AttentionExplorer`` only wires the controls to it and redraws.
"""
import numpy as np
import ipywidgets as widgets

from .figure_view import FigureView

MASKS = ("none", "padding", "causal", "padding + causal")
SENTENCE = ("the", "cat", "sat", "on", "the", "mat", "<pad>", "<pad>")


class AttentionMap:
    """Attention weights of ``scores`` (L, L) (default: ``q @ k.T / sqrt(d)`` of random q, k
    drawn with ``seed``) under a mask and a temperature; ``weights`` rows sum to 1 over the
    allowed keys and are 0 elsewhere. Every setter recomputes."""

    def __init__(self, scores=None, tokens=SENTENCE, mask="none", temperature=1.0, length=None, seed=0, d=8):
        tokens = tuple(str(t) for t in tokens)
        if scores is None:
            rng = np.random.default_rng(seed)
            q, k = rng.normal(size=(len(tokens), d)), rng.normal(size=(len(tokens), d))
            scores = q @ k.T / np.sqrt(d)
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim != 2 or scores.shape[0] != scores.shape[1] or scores.shape[0] != len(tokens):
            raise ValueError(f"scores must be square with one row per token, got shape {scores.shape} for "
                             f"{len(tokens)} tokens.")
        self.scores, self.tokens = scores, tokens
        real = sum(1 for t in tokens if t != "<pad>")
        self._length = int(length if length is not None else real)
        self._mask, self._temperature = None, None
        self._check(mask, temperature, self._length)
        self._mask, self._temperature = mask, float(temperature)
        self.recompute()

    def _check(self, mask, temperature, length):
        if mask not in MASKS:
            raise ValueError(f"mask must be one of {MASKS}, got {mask!r}.")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature!r}.")
        if not 1 <= int(length) <= len(self.tokens):
            raise ValueError(f"length must be between 1 and {len(self.tokens)}, got {length!r}.")

    def _setting(name):  # noqa: N805 - builds a property that checks and recomputes when set
        def get(self):
            return getattr(self, "_" + name)

        def set_(self, value):
            settings = {"mask": self._mask, "temperature": self._temperature, "length": self._length, name: value}
            self._check(settings["mask"], settings["temperature"], settings["length"])
            setattr(self, "_" + name, type(getattr(self, "_" + name))(value))
            self.recompute()
        return property(get, set_)

    mask = _setting("mask")
    temperature = _setting("temperature")
    length = _setting("length")
    del _setting

    def allowed(self):
        """The boolean mask (L, L), True = query i may attend to key j."""
        size = len(self.tokens)
        allowed = np.ones((size, size), dtype=bool)
        if "padding" in self._mask:
            allowed &= np.arange(size)[None, :] < self._length
        if "causal" in self._mask:
            allowed &= np.tril(allowed)
        return allowed

    def recompute(self):
        allowed = self.allowed()
        scaled = np.where(allowed, self.scores / self._temperature, -np.inf)
        top = scaled.max(axis=1, keepdims=True)
        exps = np.where(allowed, np.exp(scaled - top), 0.0)
        self.weights = exps / exps.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(self.weights > 0, np.log(self.weights), 0.0)
        self.entropy = -(self.weights * logs).sum(axis=1)  # nats; log(number of allowed keys) when uniform


class AttentionExplorer:
    """The widget: mask, temperature and length controls above the heat map of the weights."""

    def __init__(self, scores=None, tokens=SENTENCE, mask="causal", temperature=1.0, length=None, seed=0):
        self.state = AttentionMap(scores, tokens, mask, temperature, length, seed)
        style = {"description_width": "100px"}
        self.mask = widgets.ToggleButtons(options=list(MASKS), value=mask, description="mask", style=style)
        self.temperature = widgets.FloatLogSlider(value=temperature, base=10, min=-1.5, max=1.5, step=0.05,
                                                  description="temperature", continuous_update=False, style=style)
        self.length = widgets.IntSlider(value=self.state.length, min=1, max=len(self.state.tokens),
                                        description="real tokens", continuous_update=False, style=style)
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(6.5, 5))
        self.colorbar = None
        for control, name in ((self.mask, "mask"), (self.temperature, "temperature"), (self.length, "length")):
            control.observe(self._on_change(name), names="value")
        self.widget = widgets.VBox([widgets.VBox([self.mask, self.temperature, self.length]), self.status,
                                    self.view.image])
        self.redraw()

    def _on_change(self, name):
        def handler(change):
            setattr(self.state, name, change["new"])
            self.redraw()
        return handler

    def redraw(self):
        state, ax = self.state, self.view.axes
        ax.clear()
        picture = ax.imshow(state.weights, cmap="viridis", vmin=0.0, vmax=1.0)
        if self.colorbar is None:
            self.colorbar = self.view.figure.colorbar(picture, ax=ax, label="attention weight")
        else:
            self.colorbar.update_normal(picture)
        positions = np.arange(len(state.tokens))
        ax.set_xticks(positions)
        ax.set_xticklabels(state.tokens, rotation=45)
        ax.set_yticks(positions)
        ax.set_yticklabels(state.tokens)
        ax.set_xlabel("key (attended to)")
        ax.set_ylabel("query")
        blocked = ~state.allowed()
        rows, columns = np.nonzero(blocked)
        ax.scatter(columns, rows, marker="x", color="white", s=25, linewidths=1)
        ax.set_title(f"mask: {state.mask}, temperature {state.temperature:.3g}")
        self.view.refresh()
        self.status.value = (f"largest weight per query: <b>{state.weights.max(axis=1).mean():.2f}</b> on average; "
                             f"entropy <b>{state.entropy.mean():.2f}</b> nats "
                             f"(0 = all on one key, log(keys) = uniform)")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

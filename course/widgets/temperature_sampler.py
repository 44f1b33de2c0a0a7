"""Sampling text at a temperature: a slider for the temperature, the next-character distribution
after a prompt as bars, and a sample of text from the model.

    TemperatureSampler(next_logits, characters, sample_text, prompt="def ")

``next_logits`` are a model's scores for the character that follows the prompt (a NumPy array,
one per character of ``characters``); ``sample_text(temperature, length, seed) -> str`` draws a
text from the model. Neither needs torch here, so the widget is tested headless with stand-ins.
``TemperatureSampling`` holds the state: ``softmax(logits / temperature)``, its entropy, and
the current sample. Low temperatures sharpen the distribution towards the most likely character
(greedy, repetitive text), high ones flatten it towards uniform (random characters).
"""
import html

import numpy as np
import ipywidgets as widgets

from .figure_view import FigureView


def softmax_at(logits, temperature):
    """``softmax(logits / temperature)``, computed stably."""
    scaled = np.asarray(logits, dtype=np.float64) / float(temperature)
    scaled -= np.max(scaled)
    weights = np.exp(scaled)
    return weights / weights.sum()


def shown_character(character):
    return {"\n": "\\n", " ": "␣", "\t": "\\t"}.get(character, character)


class TemperatureSampling:
    """The state: the temperature, the sample's length and seed, the distribution and the text."""

    def __init__(self, next_logits, characters, sample_text, temperature=1.0, length=300, seed=0, top=12):
        self.logits = np.asarray(next_logits, dtype=np.float64).ravel()
        self.characters = list(characters)
        if len(self.characters) != len(self.logits):
            raise ValueError(f"TemperatureSampling: {len(self.logits)} scores for {len(self.characters)} characters.")
        if not callable(sample_text):
            raise ValueError("TemperatureSampling needs sample_text(temperature, length, seed) -> str.")
        self.sample_text, self.top = sample_text, int(top)
        self._temperature, self._length, self._seed = float(temperature), int(length), int(seed)
        self.update()

    def _set(self, attribute, value):
        setattr(self, attribute, value)
        self.update()

    temperature = property(lambda self: self._temperature, lambda self, v: self._set("_temperature", float(v)))
    length = property(lambda self: self._length, lambda self, v: self._set("_length", int(v)))
    seed = property(lambda self: self._seed, lambda self, v: self._set("_seed", int(v)))

    def update(self):
        if not self._temperature > 0:
            raise ValueError(f"TemperatureSampling: the temperature must be positive, got {self._temperature}.")
        self.probabilities = softmax_at(self.logits, self._temperature)
        self.entropy = float(-np.sum(self.probabilities * np.log(np.maximum(self.probabilities, 1e-300))))
        self.text = str(self.sample_text(self._temperature, self._length, self._seed))

    def top_characters(self):
        """The ``top`` most likely next characters with their probabilities, most likely first."""
        order = np.argsort(-self.probabilities, kind="stable")[:self.top]
        return [(self.characters[i], float(self.probabilities[i])) for i in order]


class TemperatureSampler:
    """The widget: temperature and length sliders and a "sample again" button on top, the
    next-character bars and the sampled text below."""

    def __init__(self, next_logits, characters, sample_text, prompt="", temperature=1.0, length=300, seed=0):
        self.state = TemperatureSampling(next_logits, characters, sample_text, temperature, length, seed)
        self.prompt = prompt
        style = {"description_width": "90px"}
        self.temperature = widgets.FloatSlider(value=temperature, min=0.1, max=2.0, step=0.05,
                                               description="temperature", continuous_update=False, style=style)
        self.length = widgets.IntSlider(value=length, min=50, max=1000, step=50, description="characters",
                                        continuous_update=False, style=style)
        self.again = widgets.Button(description="sample again")
        self.status = widgets.HTML()
        self.text = widgets.HTML()
        self.view = FigureView(figsize=(8, 2.6))
        self.temperature.observe(lambda change: self._on_change("temperature", change["new"]), names="value")
        self.length.observe(lambda change: self._on_change("length", change["new"]), names="value")
        self.again.on_click(lambda _: self._on_change("seed", self.state.seed + 1))
        controls = widgets.HBox([self.temperature, self.length, self.again])
        self.widget = widgets.VBox([controls, self.status, self.view.image, self.text])
        self.redraw()

    def _on_change(self, name, value):
        setattr(self.state, name, value)
        self.redraw()

    def redraw(self):
        state, axes = self.state, self.view.axes
        top = state.top_characters()
        axes.clear()
        axes.bar(range(len(top)), [p for _, p in top], color="tab:blue")
        axes.set_xticks(range(len(top)))
        axes.set_xticklabels([shown_character(c) for c, _ in top])
        axes.set_ylim(0, 1)
        axes.set_ylabel("probability")
        axes.set_title(f"next character after {self.prompt!r} at temperature {state.temperature:g}")
        self.view.refresh()
        self.status.value = (f"entropy of the next character: <b>{state.entropy:.2f}</b> nats "
                             f"(uniform over {len(state.characters)} characters: {np.log(len(state.characters)):.2f}); "
                             f"sample {state.seed}")
        self.text.value = ("<pre style='white-space: pre-wrap; font-size: 12px'>"
                           f"<b>{html.escape(self.prompt)}</b>{html.escape(state.text)}</pre>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

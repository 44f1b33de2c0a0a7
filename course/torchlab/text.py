"""A text that ships with Python, as characters for a language model: nothing to download.

    text = python_help_text()                     # pydoc's help topics, about 465,000 characters
    vocabulary = CharVocabulary(text)             # about 100 distinct characters
    inputs, targets = next_character_windows(vocabulary.encode(text), length=64)

``pydoc_data.topics`` holds the texts that ``help("if")``, ``help("with")`` … print: the Python
language reference in plain English. The windows are torch's usual layout for next-character
prediction: ``targets[n, t]`` is the character that follows ``inputs[n, t]``.
"""
import torch


def python_help_text(max_chars=None):
    """The help topics of ``pydoc_data.topics``, in a fixed order (sorted by topic), joined by
    blank lines; the first ``max_chars`` characters if given."""
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[name].strip() for name in sorted(topics))
    return text if max_chars is None else text[:int(max_chars)]


class CharVocabulary:
    """The distinct characters of ``text``, sorted; ``encode`` maps a string to a tensor of
    indices (int64), ``decode`` maps indices back. Characters not in the text are refused."""

    def __init__(self, text):
        if not text:
            raise ValueError("CharVocabulary needs a non-empty text.")
        self.characters = sorted(set(text))
        self.index = {character: i for i, character in enumerate(self.characters)}

    def __len__(self):
        return len(self.characters)

    def encode(self, text):
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise ValueError(f"CharVocabulary.encode: the characters {unknown[:10]} are not in the vocabulary.")
        return torch.tensor([self.index[character] for character in text], dtype=torch.int64)

    def decode(self, indices):
        return "".join(self.characters[int(i)] for i in torch.as_tensor(indices).reshape(-1).tolist())

    def __repr__(self):
        return f"CharVocabulary({len(self)} characters)"


def next_character_windows(codes, length, stride=None):
    """Cut the 1-D tensor ``codes`` into windows of ``length + 1`` characters, ``stride`` apart
    (default ``length``: windows that do not overlap). Returns ``(inputs, targets)``, both
    ``(windows, length)`` int64, ``targets`` the inputs shifted by one character."""
    codes = torch.as_tensor(codes)
    stride = length if stride is None else stride
    if codes.ndim != 1 or length < 1 or stride < 1:
        raise ValueError("next_character_windows needs a 1-D tensor of codes and a positive length and stride.")
    if len(codes) < length + 1:
        raise ValueError(f"next_character_windows: {len(codes)} characters are too few for one window of "
                         f"{length + 1}.")
    windows = codes.unfold(0, length + 1, stride)
    return windows[:, :-1].contiguous(), windows[:, 1:].contiguous()

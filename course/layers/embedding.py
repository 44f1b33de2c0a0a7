"""Word embedding: a lookup table. Row ``W[j]`` is the vector of token ``j``.

Forward ``out[...] = W[x[...]]``; backward adds each upstream row to the row of ``W`` it came
from. A token that occurs several times collects the sum of all its gradients, which is why the
backward uses ``np.add.at`` (plain ``dW[x] += dout`` keeps only one of the repeats).
torch twin: ``torch.nn.Embedding`` / ``torch.nn.functional.embedding(x, W)``.
"""
import numpy as np

from .validation import as_array


def embedding_forward(x_indices, W):
    """``x_indices``: integers of any shape (e.g. (N, T)) in 0..V-1; ``W`` (V, D).

    Returns ``(out, cache)`` with ``out`` of shape ``x_indices.shape + (D,)``.
    """
    x_indices = np.asarray(x_indices)
    W = as_array(W, "W", "embedding_forward", ndim=2)
    if not np.issubdtype(x_indices.dtype, np.integer):
        raise ValueError(f"embedding_forward: x_indices must hold integer token ids, got dtype {x_indices.dtype}.")
    vocabulary = W.shape[0]
    if x_indices.size and (x_indices.min() < 0 or x_indices.max() >= vocabulary):
        raise ValueError(
            f"embedding_forward: token ids must lie in 0..{vocabulary - 1} (W has {vocabulary} rows), "
            f"got {x_indices.min()}..{x_indices.max()}."
        )
    return W[x_indices], (x_indices, W.shape)


def embedding_backward(dout, cache):
    """``dW`` (V, D): the rows of ``dout`` summed into the rows of the tokens they belong to."""
    x_indices, w_shape = cache
    dout = as_array(dout, "dout", "embedding_backward")
    if dout.shape != x_indices.shape + (w_shape[1],):
        raise ValueError(
            f"embedding_backward: dout has shape {dout.shape} but the output had shape {x_indices.shape + (w_shape[1],)}."
        )
    dW = np.zeros(w_shape)
    np.add.at(dW, x_indices, dout)
    return dW

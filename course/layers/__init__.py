"""NumPy reference layers: ``*_forward(...) -> (out, cache)``, ``*_backward(dout, cache) -> grads``.

Batch first, row vectors (``x @ w + b`` with ``w`` of shape (D, M)), NCHW for images.
Each function names its torch twin; the tests compare every one with torch.autograd.
"""
from .activations import (
    elu_backward,
    elu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    log_softmax,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    tanh_backward,
    tanh_forward,
)
from .additive_attention import additive_attention_backward, additive_attention_forward
from .affine import affine_backward, affine_forward
from .attention import (
    causal_mask,
    positional_encoding,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from .batchnorm import (
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from .clipping import clip_grad_norm
from .conv_transpose import conv_transpose_backward, conv_transpose_forward
from .convolution import (
    conv_backward,
    conv_backward_fast,
    conv_backward_naive,
    conv_forward,
    conv_forward_fast,
    conv_forward_naive,
)
from .dropout import dropout_backward, dropout_forward
from .embedding import embedding_backward, embedding_forward
from .gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward, gru_weights_from_torch
from .layer_group_norm import groupnorm_backward, groupnorm_forward, layernorm_backward, layernorm_forward
from .losses import bce_with_logits, mse_loss, softmax_cross_entropy
from .lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward, lstm_weights_from_torch
from .multihead_attention import multihead_attention_backward, multihead_attention_forward, multihead_weights_from_torch
from .pooling import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward
from .recurrent import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward, rnn_weights_from_torch

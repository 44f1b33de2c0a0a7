"""Checks that judge a student's implementation; one function per graded exercise.

Each ``check_*`` raises CheckFailed (an AssertionError) with a one-line message on a mistake and
returns quietly otherwise; nbgrader test cells call them directly. In a notebook, wrap them in
``check(check_fn, ...)`` for a friendly ✅ / ❌ line.
"""
from .activations_losses import (
    check_bce_with_logits,
    check_elu_backward,
    check_huber_loss,
    check_leaky_relu_backward,
    check_tanh_backward,
)
from .arithmetic import check_conv_output_size, check_conv_params, check_network_table, check_receptive_field
from .attention import check_attention_backward, check_attention_forward, check_attention_masks
from .autoencoders import (check_contractive_penalty, check_elbo, check_gaussian_kl, check_reparameterize,
                           check_sparsity_penalty)
from .backprop import (
    check_affine_backward,
    check_affine_forward,
    check_relu_backward,
    check_sigmoid_backward,
    check_sigmoid_stable,
    check_softmax_cross_entropy,
    check_two_layer_net,
)
from .clipping import check_clip_grad_norm
from .convolution import check_conv_backward, check_conv_forward, check_max_pool_backward
from .cnn import check_channel_statistics, check_lenet5, check_residual_block, check_trained_classifier
from .gans import (check_discriminator_loss, check_generator, check_minimax_generator_loss,
                   check_non_saturating_generator_loss)
from .heads import check_split_heads
from .init import check_initializer, check_kaiming_normal, check_xavier_uniform
from .judging import CheckFailed
from .normalization import (check_batchnorm_backward, check_batchnorm_backward_alt, check_batchnorm_forward,
                            check_dropout, check_layernorm_backward)
from .optim import (
    check_adagrad,
    check_adam,
    check_adam_bias_correction,
    check_adamw,
    check_rmsprop,
    check_sgd,
    check_sgd_momentum,
)
from .recurrent import (check_lstm_backward, check_lstm_step_backward, check_lstm_step_forward, check_rnn_backward,
                        check_rnn_step_backward)
from .positional_encoding import check_positional_encoding
from .runner import check, summary
from .transformer import check_causal_self_attention, check_causal_transformer, check_trained_transformer

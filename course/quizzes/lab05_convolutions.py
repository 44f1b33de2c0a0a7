"""Lab 05's self-check quiz: output sizes, parameter counts, receptive fields, pooling, kernels.

Every number is computed here with ``course.arithmetic`` (and the lab's kernel table).
"""
from ..arithmetic import conv_output_size, conv_params, conv_transpose_output_size, receptive_field
from ..widgets.conv_explorer import KERNELS, NORMALIZERS
from ..widgets.quiz import MultipleChoice, NumericAnswer, Option

TITLE = "Self-check quiz: convolutions"

RECEPTIVE_FIELD_STACK = [(3, 1), (2, 2), (1, 1), (4, 2)]  # Conv(3, 1), MaxPool(2, 2), Conv(1, 1), MaxPool(4, 2)


def gaussian_entry_sum():
    """The sum of the whole numbers that the 5x5 Gaussian kernel is written with."""
    return round(float((KERNELS["Gaussian"] * NORMALIZERS["Gaussian"]).sum()))


def questions():
    alexnet_size = conv_output_size(227, kernel=11, stride=4, padding=0)
    params = conv_params(3, 10, 5)
    fields = receptive_field(RECEPTIVE_FIELD_STACK)
    upsampled = conv_transpose_output_size(16, kernel=4, stride=2, padding=1)
    return [
        NumericAnswer(
            "output_size",
            "A 227×227 image goes through a convolution with an 11×11 kernel, stride 4 and no padding. How wide "
            "is the output?",
            alexnet_size, tolerance=0, relative=False,
            explanation=f"⌊(W − F + 2P)/S⌋ + 1 = ⌊(227 − 11 + 0)/4⌋ + 1 = {alexnet_size}.",
            hint="use ⌊(W − F + 2P)/S⌋ + 1 with P counted per side."),
        NumericAnswer(
            "conv_parameters",
            "A convolution layer with 10 filters of size 5×5 reads a 3-channel 32×32 image (stride 1, padding 2). "
            "How many parameters (weights and biases) does it have?",
            params, tolerance=0, relative=False,
            explanation=f"Each filter spans all 3 channels: 5·5·3 = {conv_params(3, 1, 5, bias=False)} weights plus 1 bias; 10 filters give "
                        f"{params}. The image size does not enter at all.",
            hint="a filter covers the full depth of its input and has one bias; multiply by the number of filters."),
        NumericAnswer(
            "receptive_field",
            "A stack of Conv(kernel 3, stride 1), MaxPool(2, 2), Conv(1, 1), MaxPool(4, 2). How many input pixels "
            "wide is the receptive field of one unit after the last layer?",
            fields[-1], tolerance=0, relative=False,
            explanation=f"With r ← r + (k − 1)·j and j ← j·s the fields are {', '.join(map(str, fields))}: the "
                        "last pool's 4 taps are 2 input pixels apart (the jump after the first pool).",
            hint="track the jump j (product of earlier strides) and add (k − 1)·j at each layer, starting from r = 1."),
        NumericAnswer(
            "transposed_output_size",
            "A transposed convolution (torch's ConvTranspose2d) with kernel 4, stride 2 and padding 1 takes a "
            "16×16 feature map. How wide is its output?",
            upsampled, tolerance=0, relative=False,
            explanation=f"(W − 1)·S − 2P + (F − 1) + 1 = (16 − 1)·2 − 2·1 + (4 − 1) + 1 = {upsampled}: this setting doubles the "
                        "size, the reverse of a (4, 2, 1) convolution.",
            hint="torch's formula is (W − 1)·S − 2P + dilation·(F − 1) + output_padding + 1."),
        MultipleChoice(
            "equivariance",
            "Shift an image 2 pixels to the right and pass it through a convolution layer (stride 1; ignore the "
            "borders). What happens to the feature maps?",
            [Option("They shift 2 pixels to the right as well", right=True,
                    why="The same weights are applied at every position, so moving the input moves the output: "
                        "convolution is translation-equivariant."),
             Option("They stay exactly the same",
                    why="That would be translation invariance, which a convolution does not have (some notes "
                        "say it does). Invariance comes, approximately, from pooling and global averaging later."),
             Option("They change in a way that depends on the kernel",
                    why="Whatever the kernel, a shift of the input is a shift of the output, because every "
                        "position uses the same weights.")]),
        NumericAnswer(
            "gaussian_sum",
            "The 5×5 Gaussian blur is written as 1/273 times a matrix of whole numbers (1, 4, 7, 4, 1 in the first "
            "row). What do those whole numbers add up to?",
            gaussian_entry_sum(), tolerance=0, relative=False,
            explanation=f"They add up to {gaussian_entry_sum()}, which is why the matrix is multiplied by "
                        f"1/{gaussian_entry_sum()}: the weights then sum to 1, and a flat region keeps its "
                        "brightness. (Notes that say the entries \"sum to 1/273\" have it backwards.)",
            hint="the factor in front is chosen so that the blur's weights sum to 1."),
        MultipleChoice(
            "max_pooling",
            "Which of these hold for 2×2 max pooling with stride 2?",
            [Option("It has no parameters", right=True, why="A maximum has nothing to learn."),
             Option("It halves the width and height", right=True, why="⌊(W − 2)/2⌋ + 1 = W/2 for even W."),
             Option("It keeps the number of channels", right=True, why="It works on each channel separately."),
             Option("Its backward pass sends the gradient to all four entries of a window",
                    why="Only the entry that was the maximum affected the output, so only it gets the gradient; "
                        "spreading dout/4 evenly is average pooling.")],
            several=True),
        MultipleChoice(
            "cross_correlation",
            "What does a convolution layer in PyTorch (and in this course) do with its kernel?",
            [Option("Slides it over the input unflipped: a cross-correlation", right=True,
                    why="No flip; since the kernel is learned, a network simply learns the flipped version if "
                        "it needs one."),
             Option("Flips it in both directions first, as the mathematical convolution does",
                    why="That is the textbook convolution; deep-learning libraries skip the flip. It matters for "
                        "antisymmetric kernels such as Sobel, whose sign changes."),
             Option("Normalises it so that its weights sum to 1",
                    why="The weights are whatever training makes them; only hand-made blurs are scaled to sum "
                        "to 1.")]),
    ]

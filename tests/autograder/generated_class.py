"""A generated class of lab-01 submissions with known mistakes, known copies and known crashes.

Every student writes each answer in one of five styles (``VARIANTS``). Styles are dealt so
that two independent students share the style of at most two of the six answers (student
``(a, b)`` writes answer ``j < 5`` in style ``(a + b*j) mod 5`` and the last in style ``a``, the
lines of a plane over GF(5)). Some students make one planted mistake, written in their own
style; four students are copied by someone else (names changed, lines reordered, reformatted,
or all three); three break the grader (os._exit, a memory bomb, an endless loop); one hands
in the notebook untouched. ``CLASS`` says who did what, so a test can compare the report and
the similarity list with the truth.
"""
import ast
import dataclasses
import io
import re
import tokenize

from autograder.fill_solutions import fill_solutions
from tests.autograder.submissions import SOURCE, STUDENT, write_submission

STYLES = 5
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"

# Per answer cell: five styles of body (each a list, one body per function of the cell); a
# ``{...}`` field is the place where the planted mistake goes (its right and wrong text below).
VARIANTS = {
    "affine_forward": [
        ["out = x.reshape(x.shape[0], -1) @ w + b\ncache = (x, w, b)"],
        ["n = x.shape[0]\nflat = np.reshape(x, (n, -1))\nout = np.dot(flat, w) + b[None, :]\ncache = x, w, b"],
        ["rows = []\nfor example in x:\n    rows.append(example.ravel() @ w)\nout = np.stack(rows) + b\ncache = (x, w, b)"],
        ["features = int(np.prod(x.shape[1:]))\nout = np.matmul(x.reshape(len(x), features), w)\nout = out + b\n"
         "cache = (x, w, b)"],
        ['out = np.einsum("nd,dm->nm", x.reshape(x.shape[0], -1), w) + b\ncache = (x, w, b)'],
    ],
    "affine_backward": [
        ["dx = (dout @ w.T).reshape(x.shape)\ndw = x.reshape(x.shape[0], -1).T @ dout\ndb = dout.{db}(axis=0)"],
        ["n = x.shape[0]\nx_flat = x.reshape(n, -1)\ndw = np.dot(x_flat.T, dout)\ndx = np.dot(dout, w.T).reshape(*x.shape)\n"
         "db = np.{db}(dout, axis=0)"],
        ["dx = np.reshape(dout.dot(w.T), x.shape)\ndw = np.zeros_like(w)\nfor i in range(x.shape[0]):\n"
         "    dw += np.outer(x[i].ravel(), dout[i])\ndb = dout.sum(0){db}"],
        ["flat = x.reshape(len(x), -1)\ngrad_in = dout @ w.T\ndx = grad_in.reshape(x.shape)\ndw = flat.T.dot(dout)\n"
         "db = np.ones(len(dout)) @ dout{db}"],
        ['dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)\n'
         'dw = np.einsum("nd,nm->dm", x.reshape(x.shape[0], -1), dout)\ndb = np.einsum("nm->m", dout){db}'],
    ],
    "relu": [
        ["out = np.maximum(x, 0)\ncache = x", "x = cache\ndx = dout * ({mask} > 0)"],
        ["out = np.where(x > 0, x, 0.0)\ncache = x.copy()", "dx = np.where({mask} > 0, dout, 0.0)"],
        ["out = x.copy()\nout[out < 0] = 0\ncache = x", "dx = dout.copy()\ndx[{mask} <= 0] = 0"],
        ["positive = x > 0\nout = x * positive\ncache = x", "dx = dout * ({mask} > 0).astype(float)"],
        ["out = (x + np.abs(x)) / 2\ncache = x", "dx = dout * np.heaviside({mask}, 0.0)"],
    ],
    "sigmoid": [
        ["e = np.exp(-np.abs(x))\nout = np.where(x >= 0, 1 / (1 + e), e / (1 + e))\ncache = out",
         "s = cache\ndx = dout * s{one_minus}"],
        ["out = 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))\ncache = out", "dx = dout * cache{one_minus}"],
        ["out = 0.5 * (1 + np.tanh(0.5 * x))\ncache = (x, out)", "_, s = cache\nlocal = s{one_minus}\ndx = local * dout"],
        ["out = np.exp(-np.logaddexp(0, -x))\ncache = out", "sig = cache\ngrad = sig{one_minus}\ndx = np.multiply(dout, grad)"],
        ["out = np.empty_like(x)\npos = x >= 0\nout[pos] = 1 / (1 + np.exp(-x[pos]))\nex = np.exp(x[~pos])\n"
         "out[~pos] = ex / (1 + ex)\ncache = out", "dx = dout * (cache{one_minus})"],
    ],
    "softmax_cross_entropy": [
        ["n = scores.shape[0]\nshifted = scores - scores.max(axis=1, keepdims=True)\n"
         "log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n"
         "loss = -log_probs[np.arange(n), y].mean()\ndscores = np.exp(log_probs)\ndscores[np.arange(n), y] -= 1{divide}"],
        ["N = scores.shape[0]\nz = scores - np.max(scores, axis=1, keepdims=True)\np = np.exp(z)\n"
         "p /= p.sum(axis=1, keepdims=True)\nloss = -np.sum(np.log(p[np.arange(N), y])) / N\ndscores = p.copy()\n"
         "dscores[np.arange(N), y] -= 1{divide}"],
        ["n = len(y)\nshifted = scores - scores.max(1)[:, None]\nlogsum = np.log(np.sum(np.exp(shifted), 1))\n"
         "loss = np.mean(logsum - shifted[range(n), y])\nonehot = np.zeros_like(scores)\nonehot[range(n), y] = 1\n"
         "probs = np.exp(shifted - logsum[:, None])\ndscores = (probs - onehot){divide}"],
        ["n, c = scores.shape\nloss = 0.0\ndscores = np.zeros_like(scores)\nfor i in range(n):\n"
         "    row = scores[i] - scores[i].max()\n    p = np.exp(row) / np.exp(row).sum()\n    loss -= np.log(p[y[i]])\n"
         "    p[y[i]] -= 1\n    dscores[i] = p\nloss /= n{divide}"],
        ["m = scores.max(axis=-1, keepdims=True)\nlse = m + np.log(np.exp(scores - m).sum(axis=-1, keepdims=True))\n"
         "log_p = scores - lse\nbatch = scores.shape[0]\n"
         "loss = float(-np.take_along_axis(log_p, y[:, None], axis=1).mean())\n"
         "dscores = np.exp(log_p) - np.eye(scores.shape[1])[y]{divide}"],
    ],
    "two_layer_net": [
        ["hidden, cache1 = affine_forward(X, W1, b1)\nactivated, cache_relu = relu_forward(hidden)\n"
         "scores, cache2 = affine_forward(activated, W2, b2)\nif y is None:\n    return scores\n"
         "data_loss, dscores = softmax_cross_entropy(scores, y)\n"
         "loss = data_loss + 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))\n"
         "dactivated, dW2, db2 = affine_backward(dscores, cache2)\n"
         "_, dW1, db1 = affine_backward(relu_backward(dactivated, cache_relu), cache1)\n"
         'grads = {{"W1": dW1{reg}, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}}'],
        ["h = np.maximum(0, X @ W1 + b1)\nscores = h @ W2 + b2\nif y is None:\n    return scores\nn = X.shape[0]\n"
         "z = scores - scores.max(axis=1, keepdims=True)\np = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n"
         "loss = -np.log(p[np.arange(n), y]).mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))\n"
         "d = p.copy()\nd[np.arange(n), y] -= 1\nd /= n\ndW2 = h.T @ d + reg * W2\ndb2 = d.sum(axis=0)\ndh = d @ W2.T\n"
         'dh[h <= 0] = 0\ndW1 = X.T @ dh{reg}\ndb1 = dh.sum(axis=0)\ngrads = {{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}}'],
        ["a1, c1 = affine_forward(X, W1, b1)\nr1, cr = relu_forward(a1)\nout, c2 = affine_forward(r1, W2, b2)\n"
         "if y is None:\n    return out\nce, dout = softmax_cross_entropy(out, y)\n"
         "penalty = reg * 0.5 * sum(np.sum(W ** 2) for W in (W1, W2))\nloss = ce + penalty\n"
         "dr1, gW2, gb2 = affine_backward(dout, c2)\nda1 = relu_backward(dr1, cr)\n_, gW1, gb1 = affine_backward(da1, c1)\n"
         "grads = dict(W1=gW1{reg}, b1=gb1, W2=gW2 + reg * W2, b2=gb2)"],
        ["pre = np.dot(X, W1) + b1\nhidden = pre * (pre > 0)\nscores = np.dot(hidden, W2) + b2\nif y is None:\n"
         "    return scores\nN = len(X)\nexp = np.exp(scores - np.max(scores, axis=1, keepdims=True))\n"
         "prob = exp / np.sum(exp, axis=1, keepdims=True)\nloss = np.sum(-np.log(prob[range(N), y])) / N\n"
         "loss += 0.5 * reg * np.sum(W1 ** 2) + 0.5 * reg * np.sum(W2 ** 2)\ntarget = np.eye(W2.shape[1])[y]\n"
         'g_scores = (prob - target) / N\ngrads = {{}}\ngrads["W2"] = np.dot(hidden.T, g_scores) + reg * W2\n'
         'grads["b2"] = np.sum(g_scores, axis=0)\ng_hidden = np.dot(g_scores, W2.T) * (pre > 0)\n'
         'grads["W1"] = np.dot(X.T, g_hidden){reg}\ngrads["b1"] = np.sum(g_hidden, axis=0)'],
        ["layers = [(W1, b1), (W2, b2)]\nhidden, cache1 = affine_forward(X, *layers[0])\n"
         "hidden_relu, relu_cache = relu_forward(hidden)\nscores, cache2 = affine_forward(hidden_relu, *layers[1])\n"
         "if y is None:\n    return scores\nloss, dscores = softmax_cross_entropy(scores, y)\nfor W in (W1, W2):\n"
         "    loss += 0.5 * reg * (W ** 2).sum()\ndh, dW2, db2 = affine_backward(dscores, cache2)\n"
         "dh = relu_backward(dh, relu_cache)\ndx, dW1, db1 = affine_backward(dh, cache1)\n"
         'grads = {{"W1": dW1{reg}, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}}'],
    ],
}
# What goes into each style's field: (right, wrong) per style.
FIELDS = {
    "db": [("sum", "mean"), ("sum", "mean"), ("", " / x.shape[0]"), ("", " / len(dout)"), ("", " / dout.shape[0]")],
    "mask": [("x", "dout"), ("cache", "dout"), ("cache", "dout"), ("cache", "dout"), ("cache", "dout")],
    "one_minus": [(" * (1 - s)", ""), (" * (1.0 - cache)", ""), (" - s ** 2", ""), (" * (1 - sig)", ""),
                  (" - cache * cache", "")],
    "divide": [("\ndscores /= n", ""), ("\ndscores /= N", ""), (" / n", ""), ("\ndscores /= n", ""),
               ("\ndscores = dscores / batch", "")],
    "reg": [(" + reg * W1", "")] * STYLES,
}
# A planted mistake: its field, the answer cell it is in, and the id the check must give it.
MISTAKES = {
    "db_averaged": ("db", "affine_backward",
                    "affine_backward/db/it-averages-dout-over-the-batch-instead-of-summing"),
    "relu_mask_from_dout": ("mask", "relu", "relu_backward/dx/the-mask-is-built-from-dout-instead-of-x"),
    "sigmoid_factor_missing": ("one_minus", "sigmoid", "sigmoid_backward/dx/the-factor-#-s-is-missing"),
    "dscores_not_divided": ("divide", "softmax_cross_entropy",
                            "softmax_cross_entropy/dscores/it-is-#-times-too-large-divide-by-the-batch-size-n-#-once"),
    "reg_gradient_missing": ("reg", "two_layer_net",
                             "two_layer_net/grads-w1/the-gradient-of-the-regularization-term-reg-w-is-missing"),
}
ANSWERS = list(VARIANTS)  # answer cells in notebook order
USES_HELPERS = {0, 2, 4}  # two_layer_net styles that call the student's own layers
TESTS_OF = {"affine_forward": ["test_affine_forward"], "affine_backward": ["test_affine_backward"], "relu": ["test_relu"],
            "sigmoid": ["test_sigmoid", "test_sigmoid_stable"], "softmax_cross_entropy": ["test_softmax_cross_entropy"],
            "two_layer_net": ["test_two_layer_net"]}


@dataclasses.dataclass
class Planted:
    student: str
    styles: dict  # answer cell -> style
    mistake: str = ""  # a key of MISTAKES
    copy_of: str = ""  # the student whose notebook this one copied
    transform: str = ""  # how it was disguised
    failure: str = ""  # "kernel died", "timeout", "memory": what it does to the grader
    untouched: bool = False

    def failed_tests(self):
        """The graded tests this submission fails (a broken helper fails the net that calls it)."""
        if self.untouched:
            return {test for tests in TESTS_OF.values() for test in tests}
        helpers = self.styles["two_layer_net"] in USES_HELPERS
        if self.failure == "timeout":  # the relu cell was interrupted before it defined anything (the net's test
            return {"test_relu", "test_two_layer_net"}  # names relu_forward, to say when a failure comes from it)
        if self.failure:  # the kernel is gone from the relu cell on
            return {test for answer in ANSWERS[ANSWERS.index("relu"):] for test in TESTS_OF[answer]}
        failed = set(TESTS_OF[MISTAKES[self.mistake][1]]) if self.mistake else set()
        if self.mistake in ("db_averaged", "relu_mask_from_dout", "dscores_not_divided") and helpers:
            failed.add("test_two_layer_net")
        return failed


def _styles(a, b):
    return {answer: (a + b * j) % STYLES if j < STYLES else a for j, answer in enumerate(ANSWERS)}


def _cell(answer, style, mistake=""):
    starter = STUDENT.cells[_index(STUDENT, answer)].source
    values = {field: pair[style][1] if mistake and MISTAKES[mistake][0] == field else pair[style][0]
              for field, pair in FIELDS.items()}
    for body in VARIANTS[answer][style]:
        code = body.format(**values)
        starter = starter.replace(PLACEHOLDER, "\n".join("    " + line for line in code.splitlines()), 1)
    return starter


def _index(notebook, grade_id):
    return next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


# -- disguises a copier uses --------------------------------------------------------------------
def rename(code, suffix="_value"):
    """Every name the code assigns or takes as a parameter, renamed; function names kept."""
    tree = ast.parse(code)
    functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    names |= {arg.arg for node in ast.walk(tree) if isinstance(node, ast.arguments) for arg in node.args}
    names -= functions | {"np", "_"}
    lines = code.splitlines(keepends=True)
    places = [token.start for token in tokenize.generate_tokens(io.StringIO(code).readline)
              if token.type == tokenize.NAME and token.string in names]
    for row, column in reversed(places):  # from the end, so that earlier columns stay where they were
        line = lines[row - 1]
        end = column + len(re.match(r"\w+", line[column:]).group())
        lines[row - 1] = line[:end] + suffix + line[end:]
    return "".join(lines)


def reorder(code):
    """Adjacent statements that do not depend on each other swapped, and the functions of a cell
    in the other order."""
    tree = ast.parse(code)
    lines = code.splitlines()
    blocks = [node for node in tree.body]
    if len(blocks) > 1 and all(isinstance(node, ast.FunctionDef) for node in blocks):
        parts = ["\n".join(lines[node.lineno - 1 - len(node.decorator_list):node.end_lineno]) for node in blocks]
        return "\n\n\n".join(reorder(part) for part in reversed(parts)) + "\n"
    function = blocks[0]
    body = function.body
    order = list(range(len(body)))
    i = 0
    while i < len(body) - 1:
        first, second = body[order[i]], body[order[i + 1]]
        if _independent(first, second):
            order[i], order[i + 1] = order[i + 1], order[i]
            i += 2
        else:
            i += 1
    head = lines[:body[0].lineno - 1]
    moved = ["\n".join(lines[body[k].lineno - 1:body[k].end_lineno]) for k in order]
    return "\n".join(head + moved + lines[body[-1].end_lineno:]) + "\n"


def _names(node, context):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def _independent(first, second):
    simple = (ast.Assign, ast.AugAssign, ast.Expr)
    if not (isinstance(first, simple) and isinstance(second, simple)):
        return False
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):  # the docstring stays first
        return False
    w1, w2 = _names(first, ast.Store), _names(second, ast.Store)
    r1, r2 = _names(first, ast.Load), _names(second, ast.Load)
    subscripted = any(isinstance(t, (ast.Subscript, ast.Attribute)) for s in (first, second)
                      for t in getattr(s, "targets", [getattr(s, "target", None)]))
    augmented = isinstance(first, ast.AugAssign) or isinstance(second, ast.AugAssign)
    return not (w1 & (r2 | w2) or w2 & r1 or subscripted or augmented)


def reformat(code):
    """The same code laid out differently: comments, blank lines and two-space indentation."""
    tidy = ast.unparse(ast.parse(code))
    out = []
    for line in tidy.splitlines():
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 4
        if stripped.startswith(("dx", "dw", "db", "out", "loss", "grads")):
            out.append("  " * depth + "# the next step")
        out.append("  " * depth + stripped)
        if stripped.startswith("return"):
            out.append("")
    return "\n".join(out) + "\n"


TRANSFORMS = {"renamed": rename, "reordered": reorder, "reformatted": reformat,
              "renamed, reordered and reformatted": lambda code: reformat(reorder(rename(code, "_mine")))}

BREAKERS = {
    "kernel died": "import os\nos._exit(1)\n",
    "memory": "import numpy as np\nhog = [np.ones(10**8) for _ in range(100)]\n",
    "timeout": "while True:\n    pass\n",
}


def _class():
    lines = [(a, b) for b in range(STYLES) for a in range(STYLES)]
    planted, mistakes = [], (["db_averaged"] * 4 + ["relu_mask_from_dout"] * 3 + ["sigmoid_factor_missing"] * 3
                             + ["dscores_not_divided"] * 2 + ["reg_gradient_missing"] * 2)
    for number, (a, b) in enumerate(lines[:22]):
        planted.append(Planted(f"student{number:02d}", _styles(a, b), mistakes[number] if number < len(mistakes) else ""))
    for (failure, _), (a, b) in zip(BREAKERS.items(), lines[22:25]):
        planted.append(Planted(f"broken_{failure.replace(' ', '_')}", _styles(a, b), failure=failure))
    originals = {"renamed": planted[0], "reordered": planted[15], "reformatted": planted[17],
                 "renamed, reordered and reformatted": planted[20]}
    for transform, original in originals.items():
        planted.append(dataclasses.replace(original, student=f"copier_{len(planted) - 24}", copy_of=original.student,
                                           transform=transform))
    planted.append(Planted("untouched", {}, untouched=True))
    return {p.student: p for p in planted}


CLASS = _class()


def notebook(planted):
    """The submission of ``planted`` as a notebook."""
    if planted.untouched:
        return STUDENT
    mistake_cell = MISTAKES[planted.mistake][1] if planted.mistake else None
    answers = {answer: _cell(answer, style, planted.mistake if answer == mistake_cell else "")
               for answer, style in planted.styles.items()}
    if planted.copy_of:
        answers = {answer: TRANSFORMS[planted.transform](code) for answer, code in answers.items()}
    if planted.failure:
        answers["relu"] = BREAKERS[planted.failure] + answers["relu"]
    return fill_solutions(STUDENT, SOURCE, answers)


def write_class(course, students=None):
    for student, planted in CLASS.items():
        if students is None or student in students:
            write_submission(course, student, notebook(planted))


def planted_mistakes(students=None):
    """``{mistake id: sorted students}`` as planted."""
    found = {}
    for planted in CLASS.values():
        if planted.mistake and (students is None or planted.student in students):
            found.setdefault(MISTAKES[planted.mistake][2], []).append(planted.student)
    return {key: sorted(value) for key, value in found.items()}


def copied_pairs():
    return {tuple(sorted((p.student, p.copy_of))) for p in CLASS.values() if p.copy_of}


__all__ = ["CLASS", "MISTAKES", "TESTS_OF", "copied_pairs", "notebook", "planted_mistakes", "rename", "reformat", "reorder",
           "write_class"]

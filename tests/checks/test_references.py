"""What counts as the course's reference: one rule for the grading kernel's view (what it stubs)
and for a notebook's check cell (which warns that such a solution scores 0)."""
import ast
import os
import subprocess
import sys

import pytest

import course.init
import course.layers
import course.optim
from autograder.sandbox.view import unavailable_reference, write_view
from course import init, optim
from course.checks import check_affine_backward, check_xavier_uniform, runner
from course.checks.references import reference_plan, reference_reached
from course.layers import affine_backward as reference_affine_backward
from tests.notebook_tools import ROOT


def borrowed_affine_backward(dout, cache):
    return reference_affine_backward(dout, cache)


def _helper(dout, cache):
    return course.layers.affine_backward(dout, cache)


def through_a_helper(dout, cache):
    return _helper(dout, cache)


def xavier_uniform(shape, seed=None):  # assembled from course.init's helpers, private ones included
    return init._uniform(shape, init.xavier_std(shape), seed)


class SGD(course.optim.SGD):
    pass


class Adam(optim.Optimizer):  # the base class is plumbing: the update rule is the student's own
    def _update(self, param, grad, state):
        param -= grad


def affine_forward(x, w, b):
    return x.reshape(len(x), -1) @ w + b, (x, w, b)


def own_affine_backward(dout, cache):
    x, w, _ = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(axis=0)


@pytest.mark.parametrize("function, reached", [
    (borrowed_affine_backward, "course.layers.affine.affine_backward"),
    (through_a_helper, "course.layers.affine.affine_backward"),
    (xavier_uniform, "course.init."),
    (SGD, "course.optim.sgd.SGD"),
    (optim.RMSprop, "course.optim.rmsprop.RMSprop"),
    (own_affine_backward, ""),
    (Adam, ""),
])
def test_a_reference_is_found_however_the_solution_reaches_it(function, reached):
    found = reference_reached([function])
    assert found.startswith(reached) and bool(found) == bool(reached), found


def test_a_lab03_plan_takes_course_init_whole_and_keeps_schedules_and_the_optimizer_base():
    trees = {m: ast.parse((ROOT / "course" / f).read_text()) for m, f in (
        ("course.init", "init.py"), ("course.optim.sgd", "optim/sgd.py"), ("course.optim.base", "optim/base.py"),
        ("course.optim.lr_scheduler", "optim/lr_scheduler.py"), ("course.two_layer_net", "two_layer_net.py"))}
    plan = reference_plan(trees, {"SGD", "xavier_uniform", "kaiming_normal", "two_layer_net_loss"})
    defined = {n.name for n in trees["course.init"].body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert plan["course.init"] == defined and {"_uniform", "xavier_std", "fan_in_and_fan_out"} <= defined
    assert plan["course.optim.sgd"] == {"SGD"} and "course.optim.base" not in plan
    assert "course.optim.lr_scheduler" not in plan
    assert plan["course.two_layer_net"] == {"two_layer_net_loss"}  # init_two_layer_net, predict, sgd_step: demos


def test_only_a_normalization_lab_keeps_the_blocks_course_nn_builds_from():
    trees = {m: ast.parse((ROOT / "course" / "layers" / f"{m.rsplit('.', 1)[1]}.py").read_text())
             for m in ("course.layers.affine", "course.layers.dropout", "course.layers.convolution")}
    lab04 = reference_plan(trees, {"dropout_forward", "dropout_backward"})
    lab01 = reference_plan(trees, {"affine_forward", "relu_forward"})
    assert "course.layers.affine" not in lab04 and {"course.layers.dropout", "course.layers.convolution"} <= set(lab04)
    assert {"course.layers.affine", "course.layers.dropout", "course.layers.convolution"} <= set(lab01)


def test_the_check_cell_says_a_reference_call_scores_zero(monkeypatch, capsys):
    monkeypatch.setattr(runner, "_in_notebook", lambda: True)
    assert runner.check(check_affine_backward, affine_forward, own_affine_backward) is True
    capsys.readouterr()
    assert runner.check(check_affine_backward, affine_forward, borrowed_affine_backward) is False
    assert capsys.readouterr().out == (
        "❌ affine_backward: your code calls the course's own implementation (course.layers.affine.affine_backward); "
        "grading runs without it, so this exercise would score 0: write it yourself.\n")
    assert runner.check(check_xavier_uniform, xavier_uniform) is False
    assert "would score 0" in capsys.readouterr().out
    monkeypatch.setattr(runner, "_in_notebook", lambda: False)  # a test suite checks the checks with the reference
    assert runner.check(check_affine_backward, course.layers.affine_forward, reference_affine_backward) is True


def test_a_stub_message_names_its_reference():
    assert unavailable_reference("RuntimeError: course.init.xavier_std is not available while grading: this "
                                 "exercise is graded on your own implementation.") == "course.init.xavier_std"
    assert unavailable_reference("ValueError: shapes do not match") == ""


@pytest.mark.parametrize("lab, names", [
    ("01_backprop", ("affine_forward", "two_layer_net_loss")),
    ("03_optimization", ("SGD", "Adagrad", "RMSprop", "Adam", "xavier_uniform", "kaiming_normal")),
    ("04_regularization", ("dropout_forward", "batchnorm_forward", "layernorm_forward")),
    ("05_convolutions", ("conv_output_size", "conv_params", "receptive_field", "conv_forward")),
])
def test_every_module_still_imports_under_the_policy(lab, names, tmp_path):
    write_view(ROOT / "course", ("reference",), names, tmp_path / "course")
    modules = sorted({".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__")
                      for p in (tmp_path / "course").rglob("*.py") if "torchlab" not in p.parts})
    code = ("import importlib\nfor m in %r:\n    importlib.import_module(m)\n"
            "from course.init import INITIALIZERS\nprint('ok')") % modules
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=str(tmp_path), COURSE_GRADING="1", MPLBACKEND="Agg"))
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


def test_under_the_lab03_policy_the_private_helpers_refuse(tmp_path):
    write_view(ROOT / "course", ("reference",), ("xavier_uniform", "kaiming_normal"), tmp_path / "course")
    code = ("import course.init as i\nfrom course.optim import lr_scheduler\n"
            "for f, args in ((i._uniform, ((2, 3), 1.0, 0)), (i._normal, ((2, 3), 1.0, 0)), (i.xavier_std, ((2, 3),)),\n"
            "                (i.fan_in_and_fan_out, ((2, 3),)), (i.kaiming_std, ((2, 3),))):\n"
            "    try:\n        f(*args)\n    except RuntimeError as e:\n        print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=str(tmp_path), COURSE_GRADING="1"))
    lines = result.stdout.splitlines()
    assert len(lines) == 5 and all("is not available while grading" in line for line in lines), result.stderr

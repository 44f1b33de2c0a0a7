"""In the autograder's kernels (COURSE_GRADING=1) widgets keep their state but draw no PNG."""
from course.datasets import make_spirals
from course.widgets import TwoLayerNetExplorer


def test_grading_mode_skips_the_picture_but_not_the_model(monkeypatch):
    monkeypatch.setenv("COURSE_GRADING", "1")
    explorer = TwoLayerNetExplorer(*make_spirals(points_per_class=30), train_steps=20)
    explorer.train_button.click()
    assert bytes(explorer.view.image.value) == b"" and len(explorer.trainer.losses) == 20
    monkeypatch.delenv("COURSE_GRADING")
    explorer.step_button.click()
    assert bytes(explorer.view.image.value).startswith(b"\x89PNG")

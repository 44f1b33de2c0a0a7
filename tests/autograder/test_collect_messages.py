"""`course-grade collect` on bad input: one sentence each, and the right exit code."""
import zipfile

import nbformat

from autograder.collect import collect
from autograder.lms_names import decode
from tests.autograder.submissions import ASSIGNMENT, BATCH
from tests.autograder.test_cli import course_grade

NOTEBOOK = nbformat.writes(BATCH["correct"][0]())


def test_lms_names_lose_their_decorations():
    names = {"alice_12345_assignsubmission_file_": ("alice", False, 0),
             f"Alice Smith_12345_assignsubmission_file_{ASSIGNMENT}.ipynb": ("alice_smith", False, 0),
             f"jonesbob_LATE_12346_67891_{ASSIGNMENT}-1.ipynb": ("jonesbob", True, 1),
             f"jonesbob_12346_67890_{ASSIGNMENT}.ipynb": ("jonesbob", False, 0),
             f"carol_{ASSIGNMENT}.ipynb": ("carol", False, 0), "bob.zip": ("bob", False, 0)}
    for entry, expected in names.items():
        name = decode(entry, ASSIGNMENT)
        assert (name.student_id, name.late, name.attempt) == expected, entry


def test_an_unknown_assignment_is_refused_with_the_known_ones(tmp_path):
    (tmp_path / "downloads").mkdir()
    result = course_grade("collect", str(tmp_path / "downloads"), "99_nothing", "--course", str(tmp_path / "c"))
    assert result.returncode == 1 and not (tmp_path / "c" / "submitted").exists()
    message = result.stderr.strip()
    assert message.startswith("course-grade collect: There is no assignment '99_nothing' in solutions/; "
                              "the known ones are 01_backprop, 02_activations_losses, ") and message.endswith(".")
    assert len(message.splitlines()) == 1


def test_a_zip_with_several_notebooks_is_taken_with_a_warning(tmp_path):
    (tmp_path / "downloads").mkdir()
    with zipfile.ZipFile(tmp_path / "downloads" / "bob.zip", "w") as archive:
        archive.writestr(f"{ASSIGNMENT}.ipynb", NOTEBOOK)
        archive.writestr("scratch.ipynb", NOTEBOOK)
    report = collect(tmp_path / "downloads", tmp_path / "course", ASSIGNMENT)
    assert list(report.placed) == ["bob"] and not report.problems
    assert report.warnings == [f"bob.zip holds 2 notebooks; {ASSIGNMENT}.ipynb was taken."]


def test_a_zip_with_several_notebooks_none_named_like_the_lab_is_refused(tmp_path):
    (tmp_path / "downloads").mkdir()
    with zipfile.ZipFile(tmp_path / "downloads" / "bob.zip", "w") as archive:
        archive.writestr("a.ipynb", NOTEBOOK)
        archive.writestr("b.ipynb", NOTEBOOK)
    (tmp_path / "downloads" / "carol.ipynb").write_text(NOTEBOOK)
    result = course_grade("collect", str(tmp_path / "downloads"), ASSIGNMENT, "--course", str(tmp_path / "c"))
    assert result.returncode == 1
    assert f"not collected: bob.zip: contains 2 notebooks and none is named {ASSIGNMENT}.ipynb; not collected." \
        in result.stdout
    assert result.stdout.splitlines()[-1] == "1 item(s) were refused and not collected; see the lines above."


def test_students_not_on_the_roster_are_refused_and_missing_ones_named(tmp_path):
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / f"alice_{ASSIGNMENT}.ipynb").write_text(NOTEBOOK)
    (tmp_path / "downloads" / f"mallory_{ASSIGNMENT}.ipynb").write_text(NOTEBOOK)
    (tmp_path / "roster.csv").write_text("student_id,lms_name\na1,Alice\nb2,Bob\n")
    result = course_grade("collect", str(tmp_path / "downloads"), ASSIGNMENT, "--course", str(tmp_path / "c"),
                          "--roster", str(tmp_path / "roster.csv"))
    assert result.returncode == 1
    assert "  a1  from alice_01_backprop.ipynb" in result.stdout
    assert "not collected: mallory_01_backprop.ipynb: 'mallory' is not on the roster; not collected." in result.stdout
    assert "No submission from 1 student(s) on the roster: b2." in result.stdout


def test_a_roster_without_an_id_column_is_one_sentence(tmp_path):
    (tmp_path / "downloads").mkdir()
    (tmp_path / "roster.csv").write_text("name\nAlice\n")
    result = course_grade("collect", str(tmp_path / "downloads"), ASSIGNMENT, "--course", str(tmp_path / "c"),
                          "--roster", str(tmp_path / "roster.csv"))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"course-grade collect: The roster {tmp_path / 'roster.csv'} has no id column "
                                     "(one of: id, student_id, student).")
    missing = course_grade("collect", str(tmp_path / "downloads"), ASSIGNMENT, "--roster", str(tmp_path / "none.csv"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"course-grade collect: There is no roster file {tmp_path / 'none.csv'}."


def test_a_download_that_does_not_exist_is_refused(tmp_path):
    result = course_grade("collect", str(tmp_path / "nowhere"), ASSIGNMENT, "--course", str(tmp_path / "c"))
    assert result.returncode == 1 and f"not collected: {tmp_path / 'nowhere'} does not exist." in result.stdout


def _submitted(course, student):
    folder = course / "submitted" / student / ASSIGNMENT
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_data_files_that_came_with_a_notebook_are_collected_without_following_links(tmp_path):
    downloads = tmp_path / "downloads"
    moodle = downloads / "Alice Smith_101_assignsubmission_file_"
    (moodle / "data").mkdir(parents=True)
    (moodle / f"{ASSIGNMENT}.ipynb").write_text(NOTEBOOK)
    (moodle / "data" / "points.csv").write_text("1,2\n")
    (moodle / ".DS_Store").write_text("finder")
    (moodle / "secrets").symlink_to("/etc/passwd")
    with zipfile.ZipFile(downloads / "bob.zip", "w") as archive:
        archive.writestr(f"lab/{ASSIGNMENT}.ipynb", NOTEBOOK)
        archive.writestr("lab/weights.npy", b"\x93NUMPY")
        archive.writestr("lab/../../escape.csv", "no")
        archive.writestr("elsewhere/other.csv", "not beside the notebook")
        link = zipfile.ZipInfo("lab/link")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    report = collect(downloads, tmp_path / "course", ASSIGNMENT)
    assert not report.problems and sorted(report.placed) == ["alice_smith", "bob"]
    assert _submitted(tmp_path / "course", "alice_smith") == [f"{ASSIGNMENT}.ipynb", "data/points.csv", "lms.json",
                                                             "timestamp.txt"]
    assert _submitted(tmp_path / "course", "bob") == [f"{ASSIGNMENT}.ipynb", "lms.json", "timestamp.txt", "weights.npy"]
    assert not (tmp_path / "course" / "submitted" / "escape.csv").exists()
    assert any("not collected: secrets is a symbolic link" in w for w in report.warnings)
    assert any("not collected: link is a symbolic link" in w for w in report.warnings)
    assert ("alice_smith", "Alice Smith_101_assignsubmission_file_", "1 data file(s)") in report.derived


def test_flat_lms_data_files_join_their_students_notebook_and_big_ones_are_left_out(tmp_path, monkeypatch):
    import autograder.collect

    monkeypatch.setattr(autograder.collect, "MAX_DATA_BYTES", 100)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / f"leedan_104_9003_{ASSIGNMENT}.ipynb").write_text(NOTEBOOK)
    (downloads / "leedan_104_9005_measurements.csv").write_text("1\n2\n")
    (downloads / "leedan_104_9006_huge.bin").write_bytes(b"x" * 500)
    (downloads / f"Carol Diaz_103_assignsubmission_file_{ASSIGNMENT}.ipynb").write_text(NOTEBOOK)
    (downloads / "Carol Diaz_103_assignsubmission_file_table.csv").write_text("a\n")
    (downloads / "Eve Stone_105_assignsubmission_file_notes.txt").write_text("no notebook")
    report = collect(downloads, tmp_path / "course", ASSIGNMENT)
    assert sorted(report.placed) == ["carol_diaz", "leedan"] and not report.problems
    assert _submitted(tmp_path / "course", "leedan") == [f"{ASSIGNMENT}.ipynb", "lms.json", "measurements.csv",
                                                        "timestamp.txt"]
    assert _submitted(tmp_path / "course", "carol_diaz") == [f"{ASSIGNMENT}.ipynb", "lms.json", "table.csv",
                                                            "timestamp.txt"]
    assert "leedan_104_9006_huge.bin: beyond the 100 bytes of data files a submission may bring; not collected." \
        in report.warnings
    assert "Eve Stone_105_assignsubmission_file_notes.txt: a data file without a notebook from the same student; " \
        "not collected." in report.warnings

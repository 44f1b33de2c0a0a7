"""`collect` on today's LMS downloads, and on downloads made to hurt the lecturer's machine:
Moodle 4's folder names, online text, empty and broken notebooks, submission times and LMS ids
kept as nbgrader keeps them, size caps, escaped names, namesakes, letters of every alphabet,
ambiguous roster names."""
import json
import struct
import unicodedata
import zipfile
from datetime import datetime, timezone

import nbformat
import pytest

import autograder.collect
from autograder.collect import collect, timestamp
from autograder.roster import Roster
from tests.autograder.submissions import ASSIGNMENT, STUDENT

NOTEBOOK = nbformat.writes(STUDENT)
GIGABYTES_2 = 2**31


def _downloads(tmp_path, entries):
    """A downloads folder: name -> text (a file), or a dict (a folder of such entries)."""
    def write(folder, content):
        folder.mkdir(parents=True, exist_ok=True)
        for name, value in content.items():
            if isinstance(value, dict):
                write(folder / name, value)
            else:
                (folder / name).write_bytes(value.encode() if isinstance(value, str) else value)
    write(tmp_path / "downloads", entries)
    return tmp_path / "downloads"


def _roster(tmp_path, text):
    (tmp_path / "roster.csv").write_text(text, encoding="utf-8")
    return Roster(tmp_path / "roster.csv")


def _submitted(course, student):
    return course / "submitted" / student / ASSIGNMENT


def test_moodle_4_folders_without_the_trailing_underscore_are_read(tmp_path):
    downloads = _downloads(tmp_path, {
        "Alice Smith_101_assignsubmission_file": {f"{ASSIGNMENT}.ipynb": NOTEBOOK},
        "Carol Diaz_103_assignsubmission_file": {f"{ASSIGNMENT}.ipynb": NOTEBOOK, "data.csv": "1\n"}})
    plain = collect(downloads, tmp_path / "plain", ASSIGNMENT)
    assert sorted(plain.placed) == ["alice_smith", "carol_diaz"] and not plain.problems
    rostered = collect(downloads, tmp_path / "course", ASSIGNMENT,
                       roster=_roster(tmp_path, "id,name\ns001,Alice Smith\ns003,Carol Diaz\n"))
    assert sorted(rostered.placed) == ["s001", "s003"] and not rostered.problems and not rostered.missing
    assert (_submitted(tmp_path / "course", "s003") / "data.csv").read_text() == "1\n"


def test_online_text_is_kept_as_a_note_not_a_notebook(tmp_path):
    downloads = _downloads(tmp_path, {
        "Carol Diaz_103_assignsubmission_file": {f"{ASSIGNMENT}.ipynb": NOTEBOOK},
        "Carol Diaz_103_assignsubmission_onlinetext": {"onlinetext.html": "<p>See the notebook &amp; the plot.</p>"},
        "Eve Stone_105_assignsubmission_onlinetext_onlinetext.html": "<p>I could not upload it</p>"})
    report = collect(downloads, tmp_path / "course", ASSIGNMENT)
    assert list(report.placed) == ["carol_diaz"] and not report.problems
    assert (_submitted(tmp_path / "course", "carol_diaz") / "online_text.txt").read_text() == \
        "See the notebook & the plot.\n"
    assert ("carol_diaz", "Carol Diaz_103_assignsubmission_file", "an online-text note in online_text.txt") \
        in report.derived
    assert report.warnings == ["Eve Stone_105_assignsubmission_onlinetext_onlinetext.html: an online-text answer "
                               "without a notebook from the same student; not collected (it reads: \"I could not "
                               "upload it\")."]


def test_empty_and_broken_notebooks_are_named(tmp_path):
    downloads = _downloads(tmp_path, {f"dan_{ASSIGNMENT}.ipynb": "", f"erin_{ASSIGNMENT}.ipynb": "{ not json",
                                      f"fay_{ASSIGNMENT}.ipynb": '{"just": "json"}'})
    report = collect(downloads, tmp_path / "course", ASSIGNMENT)
    assert sorted(report.placed) == ["dan", "erin", "fay"]  # graded: each scores zero, with the reason
    assert report.warnings[0] == f"dan_{ASSIGNMENT}.ipynb its notebook is empty; collected, it will score zero."
    assert report.warnings[1].startswith(f"erin_{ASSIGNMENT}.ipynb its notebook is not a notebook: the notebook "
                                         "file is not valid JSON")
    assert report.warnings[2] == (f"fay_{ASSIGNMENT}.ipynb its notebook is not a notebook: the file is JSON but not a "
                                  "Jupyter notebook (it has no list of cells); collected, it will score zero.")


def _extended_time(seconds):
    """A zip member's "extended timestamp" field (UTC seconds), as Info-ZIP and most LMSs write."""
    return struct.pack("<HHBi", 0x5455, 5, 1, int(seconds))


def test_submission_times_late_flags_and_lms_ids_are_kept(tmp_path):
    handed_in = datetime(2026, 12, 7, 13, 5, tzinfo=timezone.utc).timestamp()
    with zipfile.ZipFile(tmp_path / "canvas.zip", "w") as archive:
        late = zipfile.ZipInfo(f"jonesbob_LATE_102_9002_{ASSIGNMENT}.ipynb", date_time=(2026, 12, 7, 14, 5, 0))
        late.extra = _extended_time(handed_in)
        archive.writestr(late, NOTEBOOK)
        archive.writestr(zipfile.ZipInfo(f"leedan_104_9003_{ASSIGNMENT}.ipynb", date_time=(2026, 12, 6, 9, 30, 0)), NOTEBOOK)
    report = collect(tmp_path / "canvas.zip", tmp_path / "course", ASSIGNMENT)
    assert sorted(report.placed) == ["jonesbob", "leedan"] and not report.problems
    bob, dan = _submitted(tmp_path / "course", "jonesbob"), _submitted(tmp_path / "course", "leedan")
    assert (bob / "timestamp.txt").read_text() == "2026-12-07 13:05:00.000000 UTC"
    assert (dan / "timestamp.txt").read_text() == timestamp(datetime(2026, 12, 6, 9, 30).timestamp())  # local time
    assert json.loads((bob / "lms.json").read_text()) == {
        "lms": "Canvas", "id": "102", "name": "jonesbob", "late": True, "attempt": 0,
        "entry": f"jonesbob_LATE_102_9002_{ASSIGNMENT}.ipynb", "submitted": "2026-12-07 13:05:00.000000 UTC"}
    assert json.loads((dan / "lms.json").read_text())["late"] is False
    assert ("jonesbob", f"jonesbob_LATE_102_9002_{ASSIGNMENT}.ipynb", "late") in report.derived


def _lying_zip(path, members, declared):
    """A zip whose members named in ``declared`` claim that size (stored, so the claim is all
    that changes): a "2 GB" member in a zip of a few hundred bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    data = bytearray(path.read_bytes())
    for signature, length_at, name_at, size_at in ((b"PK\x01\x02", 28, 46, 24), (b"PK\x03\x04", 26, 30, 22)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_length = struct.unpack("<H", data[start + length_at:start + length_at + 2])[0]
            name = data[start + name_at:start + name_at + name_length].decode()
            if name in declared:
                data[start + size_at:start + size_at + 4] = struct.pack("<I", declared[name])
            start += 4
    path.write_bytes(bytes(data))
    return path


def test_oversized_members_and_notebooks_are_refused_without_unpacking(tmp_path, monkeypatch):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    _lying_zip(downloads / "bob.zip", {f"{ASSIGNMENT}.ipynb": NOTEBOOK, "weights.npy": b"x" * 100},
               {"weights.npy": GIGABYTES_2})
    _lying_zip(downloads / "carol.zip", {f"{ASSIGNMENT}.ipynb": NOTEBOOK}, {f"{ASSIGNMENT}.ipynb": 1200 * 2**20})
    with open(downloads / f"dan_{ASSIGNMENT}.ipynb", "wb") as sparse:
        sparse.truncate(1200 * 2**20)  # 1.2 GB that take no disk and must not be read
    opened = []
    original_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, member, *a, **k: opened.append(getattr(member, "filename", member))
                        or original_open(self, member, *a, **k))
    report = collect(downloads, tmp_path / "course", ASSIGNMENT)
    assert list(report.placed) == ["bob"]
    assert report.warnings == ["bob.zip holds more than 64 MB of data files; not collected: weights.npy."]
    assert report.problems == [f"carol.zip: {ASSIGNMENT}.ipynb unpacks to 1200 MB, beyond the limit of 50 MB; not collected.",
                               f"dan_{ASSIGNMENT}.ipynb: is 1200 MB, beyond the limit of 50 MB; not collected."]
    assert "weights.npy" not in opened and opened == [f"{ASSIGNMENT}.ipynb"]  # only bob's notebook was unpacked


def test_a_download_all_zip_is_unpacked_within_its_total(tmp_path, monkeypatch):
    monkeypatch.setattr(autograder.collect, "MAX_UNPACKED_BYTES", len(NOTEBOOK.encode()) + 10)
    with zipfile.ZipFile(tmp_path / "moodle.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"Alice Smith_101_assignsubmission_file/{ASSIGNMENT}.ipynb", NOTEBOOK)
        archive.writestr(f"Bob Jones_102_assignsubmission_file/{ASSIGNMENT}.ipynb", NOTEBOOK)
    report = collect(tmp_path / "moodle.zip", tmp_path / "course", ASSIGNMENT)
    assert list(report.placed) == ["alice_smith"]
    assert report.problems == [f"moodle.zip: Bob Jones_102_assignsubmission_file/{ASSIGNMENT}.ipynb would take the "
                               f"download beyond {len(NOTEBOOK.encode()) + 10} bytes unpacked; not collected."]


def test_control_characters_in_names_never_reach_the_terminal(tmp_path):
    downloads = _downloads(tmp_path, {f"eve\x1b[2J\x1b]0;owned\x07_{ASSIGNMENT}.ipynb": NOTEBOOK,
                                      "mal\u202elory": {f"{ASSIGNMENT}.ipynb": NOTEBOOK, "x\x1b[1m.csv": b"1"},
                                      "zed\x1b[31m.zip": b"not a zip"})
    report = collect(downloads, tmp_path / "course", ASSIGNMENT)
    everything = json.dumps([report.problems, report.warnings, report.derived, list(report.placed)], ensure_ascii=False)
    assert "\x1b" not in everything and "\u202e" not in everything and "\x07" not in everything
    assert any("eve\\x1b[2J\\x1b]0;owned\\x07_" in entry for _, entry, _ in report.derived)
    assert any("mal\\u202elory" in entry for _, entry, _ in report.derived)
    assert report.problems[0].startswith("zed\\x1b[31m.zip: could not be read")


def test_namesakes_with_different_lms_ids_stay_two_students(tmp_path):
    downloads = _downloads(tmp_path, {
        "John Smith_101_assignsubmission_file": {f"{ASSIGNMENT}.ipynb": NOTEBOOK},
        "John Smith_202_assignsubmission_file": {f"{ASSIGNMENT}.ipynb": NOTEBOOK, "data.csv": "2"}})
    report = collect(downloads, tmp_path / "plain", ASSIGNMENT)
    assert sorted(report.placed) == ["john_smith_101", "john_smith_202"] and not report.problems
    assert report.warnings == ["2 students are called 'John Smith' (Moodle ids 101, 202): collected as john_smith_101, "
                               "john_smith_202; a roster keeps ids the same from lab to lab."]
    assert (_submitted(tmp_path / "plain", "john_smith_202") / "data.csv").exists()
    one = collect(downloads, tmp_path / "one", ASSIGNMENT, roster=_roster(tmp_path, "id,name\ns7,John Smith\n"))
    assert one.placed == {} and len(one.problems) == 2  # never one of them silently
    assert one.problems[0] == ("John Smith_101_assignsubmission_file: 'John Smith' is one of 2 students (Moodle ids "
                               "101, 202) that match the roster's s7; not collected (an lms_id column in the roster "
                               "tells them apart).")
    both = collect(downloads, tmp_path / "both", ASSIGNMENT,
                   roster=_roster(tmp_path, "id,name,lms_id\ns7,John Smith,101\ns8,John Smith,202\n"))
    assert sorted(both.placed) == ["s7", "s8"] and not both.problems


def test_letters_of_every_alphabet_are_kept_and_composed(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Zoé Müller")
    downloads = _downloads(tmp_path, {f"Zoë_{ASSIGNMENT}.ipynb": NOTEBOOK, f"{decomposed}_{ASSIGNMENT}.ipynb": NOTEBOOK})
    report = collect(downloads, tmp_path / "plain", ASSIGNMENT)
    assert sorted(report.placed) == ["zoé_müller", "zoë"] and not report.problems
    rostered = collect(downloads, tmp_path / "course", ASSIGNMENT,
                       roster=_roster(tmp_path, "id,name\nz1,Zoë\nz2,Zoé Müller\n"))
    assert sorted(rostered.placed) == ["z1", "z2"] and not rostered.problems


def test_a_name_that_matches_two_roster_students_matches_neither(tmp_path):
    downloads = _downloads(tmp_path, {"Lee Ann_7_assignsubmission_file": {f"{ASSIGNMENT}.ipynb": NOTEBOOK}})
    report = collect(downloads, tmp_path / "course", ASSIGNMENT,
                     roster=_roster(tmp_path, "id,name\ns1,Ann Lee\ns2,Lee Ann\n"))
    assert report.placed == {}
    assert report.problems == ["Lee Ann_7_assignsubmission_file: 'Lee Ann' matches 2 students on the roster (s1, s2), "
                               "so whose it is stays unclear (an lms_id column with the download's numbers tells them "
                               "apart); not collected."]
    resolved = collect(downloads, tmp_path / "course2", ASSIGNMENT,
                       roster=_roster(tmp_path, "id,name,lms_id\ns1,Ann Lee,8\ns2,Lee Ann,7\n"))
    assert list(resolved.placed) == ["s2"] and not resolved.problems


@pytest.mark.parametrize("name", ["Alice Smith_101_assignsubmission_file", "Alice Smith_101_assignsubmission_file_"])
def test_a_moodle_download_all_zip_of_either_naming_is_unpacked(tmp_path, name):
    with zipfile.ZipFile(tmp_path / "moodle.zip", "w") as archive:
        archive.writestr(f"{name}/{ASSIGNMENT}.ipynb", NOTEBOOK)
        archive.writestr(f"Carol Diaz_103_assignsubmission_file_{ASSIGNMENT}.ipynb", NOTEBOOK)
        archive.writestr("Carol Diaz_103_assignsubmission_onlinetext_/onlinetext.html", "<p>see the notebook</p>")
    report = collect(tmp_path / "moodle.zip", tmp_path / "course", ASSIGNMENT)
    assert sorted(report.placed) == ["alice_smith", "carol_diaz"] and not report.problems and not report.warnings

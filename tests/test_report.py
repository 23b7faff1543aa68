"""`spikemem report`: one self-contained HTML page per experiment result."""
import base64
import json
from html.parser import HTMLParser

import pytest

from spikemem.cli import main
from spikemem.errors import ValidationError
from spikemem.provenance import package_versions, provenance
from spikemem.report import find_results, write_report, write_reports

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _result(folder, **summary):
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({"experiment": "demo", "seed": 4, **summary}))
    (folder / "provenance.json").write_text(json.dumps(
        provenance("demo", {"seed": 4, "backend": "numba", "n": 3}, "spikemem run demo --n 3",
                   1.25)))
    (folder / "raster.png").write_bytes(PNG)
    (folder / "recording.h5").write_bytes(b"not really hdf5")
    (folder / "n#1 data.csv").write_text("a,b\n1,2\n")
    return folder


def test_report_embeds_figures_links_data_and_shows_provenance(tmp_path):
    folder = _result(tmp_path / "r", exact=0.75, rows=[{"n": 1, "ok": True}])
    html = write_report(folder).read_text()
    parser = _Tags()
    parser.feed(html)
    images = [a["src"] for t, a in parser.tags if t == "img"]
    assert images == ["data:image/png;base64," + base64.b64encode(PNG).decode()]
    links = {a["href"] for t, a in parser.tags if t == "a"}
    assert {"recording.h5", "summary.json", "provenance.json", "n%231%20data.csv"} <= links
    assert not [t for t, a in parser.tags if t in ("script", "link")]
    for text in ("spikemem run demo --n 3", "numba", "1.25", "0.75", "Parameters",
                 package_versions()["numpy"]):
        assert text in html


def test_report_escapes_hostile_text(tmp_path):
    folder = _result(tmp_path / "r", note="<script>alert(1)</script>", rows=[{"<b>": "&"}])
    html = write_report(folder).read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;" in html


def test_report_skips_a_figure_that_is_not_an_image(tmp_path):
    folder = _result(tmp_path / "r")
    (folder / "broken.png").write_bytes(b"<html>not a png</html>")
    html = write_report(folder).read_text()
    assert "broken.png: not a valid image/png file, not shown" in html
    assert html.count("<img ") == 1


def test_report_refuses_missing_folders_bad_json_and_empty_trees(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_report(tmp_path / "absent")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        write_report(bad)
    (bad / "summary.json").write_text("[1, 2]")
    with pytest.raises(ValidationError, match="JSON object"):
        write_report(bad)
    (bad / "summary.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValidationError, match="not valid JSON"):
        write_report(bad)
    (bad / "summary.json").write_text("{}")
    (bad / "provenance.json").write_text('{"parameters": [1, 2]}')
    with pytest.raises(ValidationError, match="'parameters' .* must be a JSON object"):
        write_report(bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValidationError, match="no experiment result"):
        write_reports(empty)
    with pytest.raises(ValidationError, match="wall_s"):
        provenance("x", {}, "cmd", -1.0)


def test_report_command_writes_one_page_per_result_folder(tmp_path, capsys):
    _result(tmp_path / "a")
    _result(tmp_path / "nested" / "b")
    assert find_results(tmp_path) == [tmp_path / "a", tmp_path / "nested" / "b"]
    assert main(["report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("report.html") == 2
    assert (tmp_path / "nested" / "b" / "report.html").exists()
    assert main(["report", str(tmp_path / "absent")]) == 1
    assert "is not a directory" in capsys.readouterr().err

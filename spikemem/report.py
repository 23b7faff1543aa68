"""Self-contained HTML reports of experiment results.

A result folder holds what an experiment wrote: ``summary.json`` (parameters and metrics),
``provenance.json`` (versions, seed, backend, command, wall time; written by the experiment
runner), figures (PNG/SVG) and data files (HDF5, CSV, ...). `write_report` turns one folder
into ``report.html``: one page with the figures embedded (base64), no script and no external
resource, so the page can be mailed or archived on its own; data files are linked relatively.
"""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from .errors import ValidationError
from .io import atomic_path

__all__ = ["write_report", "write_reports", "find_results", "REPORT_NAME"]

REPORT_NAME = "report.html"
_FIGURES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}
_SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_DATA = (".h5", ".hdf5", ".csv", ".json", ".npz", ".parquet", ".txt", ".py", ".nir")
_MAX_TABLE_ROWS = 200

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
 padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #4a6fa5;padding-bottom:.2em}
h2{font-size:1.2em;margin-top:1.6em;color:#4a6fa5}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
th{background:#eef2f8}
code,pre{background:#f4f4f4;padding:.1em .3em;border-radius:3px}
pre{padding:.6em;overflow-x:auto}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85em;color:#555}
.note{color:#777;font-size:.85em}
"""


def find_results(folder) -> list:
    """Result folders at or below `folder`: those holding ``summary.json``, sorted.

    Raises
    ------
    FileNotFoundError
        If `folder` does not exist or is not a directory.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"spikemem report: {str(root)!r} is not a directory")
    return sorted({p.parent for p in root.rglob("summary.json")})


def write_reports(folder) -> list:
    """Write ``report.html`` in every result folder at or below `folder`; returns their paths.

    Raises
    ------
    FileNotFoundError
        If `folder` is not a directory.
    ValidationError
        If no result folder (one with ``summary.json``) lies at or below it.
    """
    found = find_results(folder)
    if not found:
        raise ValidationError(f"spikemem report: no experiment result (summary.json) at or "
                              f"below {str(folder)!r}; run an experiment with --out first")
    return [write_report(f) for f in found]


def write_report(folder, out: Optional[str] = None) -> Path:
    """Write the HTML report of one result folder (atomically) and return its path.

    Parameters
    ----------
    folder : str or Path
        A folder written by an experiment (``summary.json``; ``provenance.json``, figures
        and data files are shown when present).
    out : str or Path, optional
        Where to write (default ``<folder>/report.html``). Data-file links are relative to
        `folder`, so keep the report inside it.

    Returns
    -------
    Path

    Raises
    ------
    FileNotFoundError
        If `folder` is not a directory.
    ValidationError
        If ``summary.json`` or ``provenance.json`` is not a JSON object.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"spikemem report: {str(folder)!r} is not a directory")
    summary = _read_json(folder / "summary.json")
    provenance = _read_json(folder / "provenance.json")
    path = Path(out) if out is not None else folder / REPORT_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(render(folder, summary, provenance), encoding="utf-8")
    return path


def _read_json(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"spikemem report: {str(path)!r} is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"spikemem report: {str(path)!r} must hold a JSON object, got "
                              f"{type(data).__name__}")
    for key in ("parameters", "versions"):
        if key in data and not isinstance(data[key], dict):
            raise ValidationError(f"spikemem report: {key!r} in {str(path)!r} must be a JSON "
                                  f"object, got {type(data[key]).__name__}")
    return data


def render(folder: Path, summary: dict, provenance: dict) -> str:
    """The report page of `folder` as an HTML string (see `write_report`)."""
    name = provenance.get("experiment") or summary.get("experiment") or folder.name
    parameters = provenance.get("parameters") or {}
    scalars = {k: v for k, v in summary.items() if _is_scalar(v) and k not in parameters}
    tables = {k: v for k, v in summary.items() if not _is_scalar(v)}
    parts = [f"<h1>{_e(name)}</h1>"]
    if provenance.get("description"):
        parts.append(f"<p>{_e(provenance['description'])}</p>")
    if provenance.get("command"):
        parts.append(f"<p>Reproduce with:</p><pre>{_e(provenance['command'])}</pre>")
    if parameters:
        parts += ["<h2>Parameters</h2>", _table_of_mapping(parameters)]
    parts += ["<h2>Metrics</h2>", _table_of_mapping(scalars) if scalars else
              '<p class="note">no scalar metrics in summary.json</p>']
    for key, value in tables.items():
        parts += [f"<h3>{_e(key)}</h3>", _value_html(value)]
    figures = sorted(p for p in folder.iterdir() if p.suffix.lower() in _FIGURES)
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [_figure(p) for p in figures]
    parts += ["<h2>Provenance</h2>", _provenance_html(provenance)]
    data = sorted(p for p in folder.iterdir() if p.suffix.lower() in _DATA and p.is_file())
    if data:
        parts.append("<h2>Data files</h2><ul>")
        parts += [f'<li><a href="{_e(quote(p.name))}">{_e(p.name)}</a> '
                  f'<span class="note">({_size(p)})</span></li>' for p in data]
        parts.append("</ul>")
    body = "\n".join(parts)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(name)}: spikemem report</title><style>{_CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def _provenance_html(provenance: dict) -> str:
    if not provenance:
        return ('<p class="note">no provenance.json in this folder (written by experiments run '
                'through <code>spikemem run</code> or their <code>main()</code>)</p>')
    shown = {k: v for k, v in provenance.items()
             if k not in ("parameters", "versions", "command", "description")}
    parts = [_table_of_mapping(shown)]
    if provenance.get("versions"):
        parts += ["<h3>versions</h3>", _table_of_mapping(provenance["versions"])]
    return "\n".join(parts)


def _figure(path: Path) -> str:
    raw = path.read_bytes()
    mime = _FIGURES[path.suffix.lower()]
    if not _is_image(raw, mime):
        return f'<p class="note">{_e(path.name)}: not a valid {mime} file, not shown</p>'
    data = base64.b64encode(raw).decode("ascii")
    return (f'<figure><img src="data:{mime};base64,{data}" alt="{_e(path.stem)}">'
            f"<figcaption>{_e(path.name)}</figcaption></figure>")


def _is_image(raw: bytes, mime: str) -> bool:
    if mime == "image/svg+xml":
        return b"<svg" in raw[:2000]
    return raw.startswith(_SIGNATURES[mime])


def _value_html(value) -> str:
    if isinstance(value, dict):
        return _table_of_mapping(value)
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return _table_of_rows(value)
    if isinstance(value, list):
        text = ", ".join(_cell(v) for v in value[:_MAX_TABLE_ROWS])
        more = f" ... ({len(value)} values)" if len(value) > _MAX_TABLE_ROWS else ""
        return f"<p>{text}{more}</p>"
    return f"<p>{_cell(value)}</p>"


def _table_of_mapping(mapping: dict) -> str:
    rows = "".join(f"<tr><th>{_e(str(k))}</th>"
                   f"<td>{_cell(v) if _is_scalar(v) else _value_html(v)}</td></tr>"
                   for k, v in mapping.items())
    return f"<table>{rows}</table>"


def _table_of_rows(rows: list) -> str:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{_e(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c, ''))}</td>" for c in columns) + "</tr>"
                   for r in rows[:_MAX_TABLE_ROWS])
    note = (f'<p class="note">first {_MAX_TABLE_ROWS} of {len(rows)} rows; all in '
            f"summary.json</p>" if len(rows) > _MAX_TABLE_ROWS else "")
    return f"<table><tr>{head}</tr>{body}</table>{note}"


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _cell(value) -> str:
    if isinstance(value, float):
        return _e(f"{value:.6g}")
    if _is_scalar(value):
        return _e(str(value))
    return _e(json.dumps(value)[:200])


def _size(path: Path) -> str:
    n = path.stat().st_size
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)

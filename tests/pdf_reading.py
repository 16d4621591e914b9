"""Reading the PDFs WeasyPrint writes, without a PDF library: enough to check what a test must.

pydyf writes top-level objects as `N 0 obj … endobj`, streams Flate-compressed, dictionaries packed
into object streams (`/Type /ObjStm`). Text is drawn in `[<glyph>…] TJ` runs under `/TAG size Tf`,
where TAG is the subset tag of the font (`/BaseFont /TAG+Family`) and the font's ToUnicode CMap
(`<glyph> <unicode>` pairs) says which character each glyph is.
"""

from __future__ import annotations

import re
import zlib

_STREAM_START = re.compile(rb"(\d+) 0 obj\s*(<<.*?>>)\s*stream\r?\n", re.S)
_LENGTH = re.compile(rb"/Length (\d+)(?! \d+ R)")
_FONT = re.compile(rb"/BaseFont /([A-Z]{6})\+[^/\s]*/ToUnicode (\d+) 0 R")
_PAIR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>")
_RUN = re.compile(rb"/([A-Z]{6}) [\d.]+ Tf|\[(.*?)\] TJ", re.S)
_GLYPHS = re.compile(rb"<([0-9a-fA-F]+)>")


def streams(pdf: bytes) -> dict[int, bytes]:
    """Every stream object by its number, inflated where it is compressed."""
    found = {}
    position = 0
    while (start := _STREAM_START.search(pdf, position)) is not None:
        number, header = start.group(1), start.group(2)
        length = _LENGTH.search(header)
        # The body is /Length bytes long: compressed bytes may hold anything, "endstream" included.
        end = start.end() + int(length.group(1)) if length else pdf.index(b"endstream", start.end())
        body = pdf[start.end() : end]
        found[int(number)] = zlib.decompress(body) if b"/FlateDecode" in header else body
        position = end
    return found


def everything(pdf: bytes) -> bytes:
    """The file and every stream inflated: for searching dictionaries, metadata and font names."""
    return pdf + b"\n".join(streams(pdf).values())


def page_texts(pdf: bytes) -> list[str]:
    """The text of each content stream that draws text (one per page), in drawing order."""
    inflated = streams(pdf)
    cmaps = {
        tag.decode(): {int(g, 16): bytes.fromhex(u.decode()).decode("utf-16-be") for g, u in _PAIR.findall(cmap)}
        for tag, ref in _FONT.findall(everything(pdf))
        if (cmap := inflated.get(int(ref))) is not None
    }
    texts = []
    for body in inflated.values():
        if b" TJ" not in body:
            continue
        font: dict[int, str] = {}
        out = []
        for tag, run in _RUN.findall(body):
            if tag:
                font = cmaps.get(tag.decode(), {})
                continue
            for glyphs in _GLYPHS.findall(run):
                out += [font.get(int(glyphs[i : i + 4], 16), "?") for i in range(0, len(glyphs), 4)]
            out.append(" ")  # a run ends a line or a box
        texts.append(re.sub(r"\s+", " ", "".join(out)))
    return texts

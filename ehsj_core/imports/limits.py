"""Limits on an import file, checked before it is parsed and while it is read, so that a hostile file
(a sheet that inflates to millions of rows, a zip bomb, an XML bomb) is refused within a second with
a reason, instead of holding a worker for minutes and gigabytes.

Before parsing: the file's size (`size_problem`; the API checks it again on the upload, before the
body is read); for an XLSX, its zip directory (`archive_problem`) — how many parts, how they are
compressed (Excel writes deflate; other methods are refused), the unpacked sizes they declare, summed,
the compression ratio of each large part, and no DTD at the head of a part (a spreadsheet never has
one; entity declarations are what an XML bomb is built from). Python's zipfile never unpacks a part
past the size its directory declares (and checks the CRC at the end), so the declared sizes bound what
the parser reads. While reading (readers.py): the rows (first as the sheet's <dimension> declares
them, then as they stream) and the columns of each row.

The XML itself is parsed by openpyxl through defusedxml, which forbids entity declarations outright;
`defused_xml_problem` makes the reader refuse every XLSX should that not be so (defusedxml missing,
or switched off with OPENPYXL_DEFUSEDXML=False).
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

import defusedxml.ElementTree  # type: ignore[import-untyped]  # no stubs (pyproject's overrides)

# defusedxml's refusal of a DTD, an entity or an external reference (an "XML bomb"), while openpyxl reads
XmlBomb: type[Exception] = defusedxml.DefusedXmlException

if TYPE_CHECKING:
    from ehsj_core.settings import Settings

MB = 1024 * 1024
# Not settings: no genuine export comes near them, and each only closes a way around the others.
MAX_PARTS = 10_000  # zip entries; a workbook has a dozen (each costs memory when the directory is read)
MAX_DIRECTORY = 2 * MB  # the zip directory's bytes (it, not the count above, is what zipfile reads)
MAX_COLUMNS = 1_000  # cells of a row; the exports have about ten columns
# A part larger than RATIO_FROM unpacked may be at most MAX_RATIO times its compressed size. A real
# sheet compresses 5–20:1 (a 100,000-row CRM export written by openpyxl: 13:1); deflate's ceiling, the
# zip bomb's ratio, is about 1,000:1.
MAX_RATIO = 100
RATIO_FROM = 4 * MB
HEAD = 4096  # bytes of a part searched for a DTD (it must come before the first element)
EOCD = b"PK\x05\x06"  # the zip's end-of-central-directory record


@dataclass(frozen=True)
class ImportLimits:
    """The limits of one import (settings `import_max_*`; the defaults are the settings' defaults)."""

    max_bytes: int = 100 * MB
    max_uncompressed_bytes: int = 100 * MB
    max_rows: int = 100_000  # data rows, the header not counted

    @classmethod
    def of(cls, settings: Settings) -> ImportLimits:
        return cls(settings.import_max_bytes, settings.import_max_uncompressed_bytes, settings.import_max_rows)


def size_problem(size: int, limits: ImportLimits) -> str | None:
    return None if size <= limits.max_bytes else too_large(size, limits)


def too_large(size: int, limits: ImportLimits, *, at_least: bool = False) -> str:
    """`at_least`: `size` is what was read before reading stopped, not the whole file."""
    most, size_text = megabytes(limits.max_bytes), megabytes(size)
    if at_least or size_text == most:  # "fylder 2 MB; højst 2 MB" would read as a contradiction
        size_text = f"mere end {most}"
    return f"filen fylder {size_text}; højst {most} er tilladt"


def rows_problem(limits: ImportLimits) -> str:
    most = thousands(limits.max_rows)
    return f"filen har mere end {most} rækker; højst {most} rækker pr. import — del filen op"


def declared_rows_problem(declared: int, limits: ImportLimits) -> str:
    """`declared`: the data rows the sheet's <dimension> says it has (its last row less the header)."""
    most = thousands(limits.max_rows)
    return (
        f"regnearket angiver {thousands(declared)} rækker (dets <dimension>); "
        f"højst {most} rækker pr. import — del filen op"
    )


def columns_problem(row: int) -> str:
    most = thousands(MAX_COLUMNS)
    return f"række {row} har data i mere end {most} kolonner; højst {most} kolonner er tilladt"


def defused_xml_problem() -> str | None:
    """None when openpyxl parses XML through defusedxml (see the module docstring)."""
    import openpyxl
    from openpyxl.xml import functions

    if openpyxl.DEFUSEDXML and functions.iterparse is defusedxml.ElementTree.iterparse:
        return None
    return (
        "XLSX-filer kan ikke indlæses: XML-læseren er ikke sikret (defusedxml er ikke aktiv, "
        "fx OPENPYXL_DEFUSEDXML=False); gem filen som CSV, eller bed driften rette installationen"
    )


def archive_problem(data: bytes, limits: ImportLimits) -> str | None:
    """What is wrong with an XLSX's zip directory, read before anything is unpacked; None when nothing is."""
    directory = _directory(data)
    if directory is None:
        return "filen kan ikke læses som et Excel-regneark (.xlsx): den er ikke en gyldig zip-fil"
    parts, directory_size = directory
    if parts > MAX_PARTS or directory_size > MAX_DIRECTORY:
        return (
            f"regnearket består af {thousands(parts)} dele ({megabytes(directory_size)} indholdsfortegnelse); "
            f"højst {thousands(MAX_PARTS)} dele og {megabytes(MAX_DIRECTORY)} er tilladt"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return f"filen kan ikke læses som et Excel-regneark (.xlsx): {type(exc).__name__}"
    with archive:
        members = archive.infolist()
        for member in members:
            if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                return (
                    f"delen {member.filename} er pakket med en metode ({member.compress_type}), "
                    "som Excel ikke bruger; gem filen igen fra Excel"
                )
        unpacked = sum(m.file_size for m in members)
        if unpacked > limits.max_uncompressed_bytes:
            return (
                f"regnearket fylder {megabytes(unpacked)} udpakket; "
                f"højst {megabytes(limits.max_uncompressed_bytes)} er tilladt"
            )
        for member in members:
            if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                ratio = member.file_size // max(member.compress_size, 1)
                return (
                    f"delen {member.filename} pakkes ud til {thousands(ratio)} gange sin størrelse "
                    f"(en såkaldt zip-bombe); højst {MAX_RATIO} gange er tilladt"
                )
        for member in members:
            if _has_dtd(archive, member):
                return (
                    f"delen {member.filename} erklærer en DTD eller XML-entiteter (<!DOCTYPE>), som et regneark "
                    "aldrig har (en såkaldt XML-bombe); filen afvises"
                )
    return None


def _directory(data: bytes) -> tuple[int, int] | None:
    """(entries, bytes) of the zip directory as its end record declares them — read before the
    directory itself, whose every entry costs memory; None when there is no end record. (Found as
    zipfile finds it: the last signature within the comment's reach of the end.)"""
    at = data.rfind(EOCD, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        return None
    entries, size = struct.unpack_from("<HI", data, at + 10)
    return int(entries), int(size)


def _has_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    try:
        with archive.open(member) as part:
            head = part.read(HEAD)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return False  # unreadable: openpyxl reports the file as broken
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


def megabytes(size: int) -> str:
    """A size in Danish: 234 KB, 1,5 MB, 100 MB, 2,1 GB (of 1,024)."""
    if size >= 1024 * MB:
        return f"{_decimal(size / (1024 * MB))} GB"
    if size >= MB:
        return f"{_decimal(size / MB)} MB"
    return f"{max(1, round(size / 1024))} KB"


def _decimal(value: float) -> str:
    if value >= 100:
        return thousands(round(value))
    return f"{value:.1f}".removesuffix(".0").replace(".", ",")


def thousands(number: int) -> str:
    """100.000 — the Danish thousands separator."""
    return f"{number:,}".replace(",", ".")

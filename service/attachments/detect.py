"""What an uploaded file is, judged by its content (magic bytes), never by its name; and a safe name for it.

Accepted: PDF, PNG, JPEG, GIF, WebP, Office documents (OOXML docx/xlsx/pptx, legacy OLE2
doc/xls/ppt), CSV (UTF-8 or GB18030 text named .csv) and ZIP. Executables and scripts (PE, ELF, Mach-O,
a shebang) are refused under any name, also inside a ZIP, and so are macro-enabled Office documents and OLE2
files that are not Word, Excel or PowerPoint (an .msi installer is OLE2 too).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from service.errors import InvalidInput, PayloadTooLarge

PDF = "application/pdf"
PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC, XLS, PPT = "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"
CSV, ZIP = "text/csv", "application/zip"

# content type → the file name extensions that fit it (the first is added to a name that fits none)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg", ".jpe"), GIF: (".gif",), WEBP: (".webp",),
    DOCX: (".docx",), XLSX: (".xlsx",), PPTX: (".pptx",), DOC: (".doc",), XLS: (".xls",), PPT: (".ppt",),
    CSV: (".csv",), ZIP: (".zip",),
}
ACCEPTED = tuple(EXTENSIONS)
# Shown in the browser (DESIGN.md: images and PDFs preview); everything else is downloaded.
INLINE = frozenset({PDF, PNG, JPEG, GIF, WEBP})
ACCEPTED_NAMES = "PDF, PNG, JPEG, GIF, WebP, Word/Excel/PowerPoint, CSV, ZIP"

_EXECUTABLE_MAGIC = (
    (b"MZ", "a Windows executable (PE)"),
    (b"\x7fELF", "an ELF executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"), (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"), (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary or Java class"),
    (b"#!", "a script (#!)"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OOXML_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))
_ZIP_MEMBERS_CHECKED = 10_000  # a ZIP with more members is refused rather than half checked


class UnsupportedFileType(InvalidInput):
    """The content is not one of the accepted kinds, or is an executable or script (HTTP 415)."""

    kind, title = "unsupported-media-type", "Unsupported file type"


@dataclass(frozen=True)
class Inspected:
    name: str  # sanitised, with an extension that fits the content type
    content_type: str
    size: int
    sha256: str


def inspect(data: bytes, name: str | None, max_bytes: int) -> Inspected:
    """Size, type and safe name of an upload; PayloadTooLarge, UnsupportedFileType or InvalidInput if refused."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the file is larger than {max_bytes} bytes")
    if not data:
        raise InvalidInput("the file is empty", [{"field": "file", "message": "empty file"}])
    safe = sanitise_name(name or "")
    content_type = detect(data, safe)
    return Inspected(with_extension(safe, content_type), content_type, len(data), hashlib.sha256(data).hexdigest())


def detect(data: bytes, name: str = "") -> str:
    """The content type of `data`; UnsupportedFileType when it is not accepted."""
    _refuse_executable(data, "the file")
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    if data.startswith(_OLE2):
        return _ole2_kind(data)
    if name.lower().endswith(".csv") and _is_text(data):
        return CSV
    raise UnsupportedFileType(f"this kind of file is not accepted; accepted: {ACCEPTED_NAMES}")


def _refuse_executable(head: bytes, what: str) -> None:
    stripped = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    for magic, label in _EXECUTABLE_MAGIC:
        if stripped.startswith(magic):
            raise UnsupportedFileType(f"{what} is {label}: executables and scripts are not accepted")


def _zip_kind(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnsupportedFileType("the file looks like a ZIP archive but cannot be read") from None
    names = {m.filename for m in members}
    if "[Content_Types].xml" in names:
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise UnsupportedFileType("macro-enabled Office documents are not accepted; save without macros")
        for part, content_type in _OOXML_PARTS:
            if part in names:
                return content_type
    if len(members) > _ZIP_MEMBERS_CHECKED:
        raise UnsupportedFileType(f"a ZIP archive may hold at most {_ZIP_MEMBERS_CHECKED} files")
    for member in members:
        if member.is_dir():
            continue
        try:
            with archive.open(member) as stream:
                head = stream.read(4)  # a few bytes: a compressed bomb is never inflated
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError):
            raise UnsupportedFileType(f"the ZIP member {member.filename[:100]!r} cannot be read "
                                      "(encrypted or damaged archives are not accepted)") from None
        _refuse_executable(head, f"the ZIP member {member.filename[:100]!r}")
    return ZIP


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _ole2_kind(data: bytes) -> str:
    # OLE2 directory entries hold stream names in UTF-16LE; the main stream tells the application.
    if _utf16("_VBA_PROJECT") in data:  # the VBA storage of Word, Excel and PowerPoint alike
        raise UnsupportedFileType("macro-enabled Office documents are not accepted; save without macros")
    if _utf16("WordDocument") in data:
        return DOC
    if _utf16("Workbook") in data or _utf16("Book\x00") in data:
        return XLS
    if _utf16("PowerPoint Document") in data:
        return PPT
    raise UnsupportedFileType("only Word, Excel and PowerPoint files are accepted in the OLE2 format")


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
MAX_NAME = 200


def sanitise_name(raw: str) -> str:
    """A file name safe on every system and in a header: no path, no control or format characters, no
    reserved device names (Windows), at most MAX_NAME characters; Chinese and other letters kept."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    # Cc control characters, Cf format characters (e.g. U+202E, which shows "exe.pdf" for "fdp.exe"),
    # line/paragraph separators and unpaired surrogates.
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp", "Cs"))
    name = _FORBIDDEN.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if _RESERVED.match(name):
        name = "_" + name
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        name = (stem if ext else name)[: MAX_NAME - len(ext) - 1].rstrip(" .") + ("." + ext if ext else "")
    return name


def with_extension(name: str, content_type: str) -> str:
    """`name` with an extension that fits its content ("报告.exe" holding a PDF becomes "报告.exe.pdf")."""
    fitting = EXTENSIONS[content_type]
    if name.lower().endswith(fitting):
        return name
    stem = name or "attachment"
    return stem[: MAX_NAME - len(fitting[0])] + fitting[0]

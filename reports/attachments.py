"""Evidence files: recognise what a file really is, strip what could identify its author, refuse the rest.

``sanitize`` is the only way an attachment gets into a report. It decides the type from the file's own
first bytes — never from the name or the MIME type, which the sender chooses — and then:

* **images** (JPEG, PNG, WebP, still GIF) are decoded and re-encoded from pixel data alone, so EXIF
  (GPS, camera make and model, owner), XMP, ICC profiles, comments and text chunks cannot survive.
  The EXIF orientation is applied first, so the picture still stands the right way up. A still GIF
  becomes a PNG (lossless). Animated images (GIF, APNG, WebP) are refused as ``unsupported``:
  re-encoding every frame multiplies the decompression work an attacker can ask for, and silently
  keeping only the first frame could drop exactly the part that matters without the reporter knowing.
* **PDF** is rewritten page by page into a new file without the document information dictionary,
  without XMP packets (document, page and image level), without scripts, launch actions and embedded
  files, without annotation authors, and with EXIF/XMP segments cut out of embedded JPEG images. A PDF
  that cannot be rewritten (locked with an open password, or a structure pypdf chokes on) is refused as
  ``cannot_clean``: kept as sent it would carry its scripts and embedded files to reviewers. One that
  cannot be opened at all is ``unreadable``.
* **DOCX** is rewritten entry by entry: core, extended (company, manager) and custom properties are
  emptied, embedded JPEG/PNG pictures lose their metadata, the path of an attached template is
  removed, and zip timestamps are reset. Tracked changes and comments carry author names inside the
  text; removing them would change the evidence, so they only raise a warning.
* **plain text** (UTF-8, UTF-16 with BOM, or GB18030 as written by older Windows tools) is stored as
  UTF-8.

Everything else is ``unsupported``; programs and scripts are ``executable`` whatever their name says.

The original file name is not kept: names such as ``IMG_20260101_张三.jpg`` or ``王科长的述职报告.docx``
identify people. The result is named by its type only (``image.jpg``, ``document.pdf``, …); the caller
may number them. ``AttachmentRejected.filename`` does carry the original name, because the reporter
needs to know which of their files was refused; it must not be stored or logged.
"""

from __future__ import annotations

import io
import posixpath
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from docx import Document
from lxml import etree
from PIL import Image, ImageOps
from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from reports.errors import AttachmentRejected
from reports.model import MAX_ATTACHMENT_BYTES, Attachment

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
GIF = "image/gif"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
ZIP = "application/zip"  # any other zip: xlsx, pptx, docm, archives
EXECUTABLE = "application/x-executable"  # programs, scripts, Android/Java packages
CORRUPT = "application/x-corrupt"  # a container whose compressed data is damaged

SUPPORTED_TYPES = frozenset({JPEG, PNG, WEBP, GIF, PDF, DOCX, TEXT})
SUPPORTED_DESCRIPTION = "图片（JPG、PNG、WebP、静态 GIF）、PDF、Word 文档（.docx）、纯文本（.txt）"

# Notes for reviewers (Attachment.warning), in the reviewers' language.
WARNING_METADATA_LEFT = "该文件的元数据未能完全清除，可能包含作者信息。"
WARNING_REVISIONS = "该文档含有修订记录或批注，其中可能包含作者姓名。"
WARNING_EMBEDDED = "该文档中嵌入的部分文件或对象未能清除元数据，可能包含作者信息。"
WARNING_REMOVED = "已删除文档中嵌入的对象、宏或指向外部的链接（它们可能含有程序或泄露打开者）。"
WARNING_PATHS = "该文档可能含有指向作者电脑的文件路径或其他标识信息。"

# Magic numbers of things that run: PE/DOS, ELF, Mach-O (32/64, both byte orders), fat Mach-O and
# Java class files (same magic), Dalvik, WebAssembly, Windows shortcuts. Scripts start with "#!".
_EXECUTABLE_MAGICS = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\xbe\xba\xfe\xca",
    b"dex\n",
    b"\x00asm",
    b"L\x00\x00\x00\x01\x14\x02\x00",
    b"#!",
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PDF_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first kilobyte

_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_DOCX_MAX_ENTRIES = 10_000
_DOCX_MAX_UNPACKED = 256 * 1024 * 1024  # zip bombs: a real 20 MB document unpacks to far less
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # entry timestamps would tell when (and in which time zone) it was saved

_NEUTRAL_NAMES = {
    JPEG: "image.jpg",
    PNG: "image.png",
    WEBP: "image.webp",
    PDF: "document.pdf",
    DOCX: "document.docx",
    TEXT: "text.txt",
}


def detect_type(data: bytes) -> str | None:
    """The media type the content really has (``SUPPORTED_TYPES``, ``EXECUTABLE``, ``ZIP``), else None."""
    if data.startswith(_EXECUTABLE_MAGICS) or data.startswith(b"\xef\xbb\xbf#!"):
        return EXECUTABLE
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(_PNG_SIGNATURE):
        return PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(data)
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        return PDF
    if _decode_text(data) is not None:
        return TEXT
    return None


def sanitize(filename: str, data: bytes, declared_type: str | None = None) -> Attachment:
    """A copy of the file without identifying metadata; raises ``AttachmentRejected`` if it cannot be kept."""
    # declared_type is accepted for the caller's convenience but never consulted: the sender controls it.
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(filename, "too_large", MAX_ATTACHMENT_BYTES)
    if not data:
        raise AttachmentRejected(filename, "unreadable")
    kind = detect_type(data)
    if kind == EXECUTABLE:
        raise AttachmentRejected(filename, "executable")
    if kind == CORRUPT:
        raise AttachmentRejected(filename, "unreadable")
    with _ONE_AT_A_TIME:
        return _clean(filename, kind, data)


def _clean(filename: str, kind: str | None, data: bytes) -> Attachment:
    if kind in (JPEG, PNG, WEBP, GIF):
        return _clean_image(filename, kind, data)
    if kind == PDF:
        return _clean_pdf(filename, data)
    if kind == DOCX:
        return _clean_docx(filename, data)
    if kind == TEXT:
        text = _decode_text(data)
        if text is not None:  # detect_type said so; checked again rather than asserted
            return Attachment(_NEUTRAL_NAMES[TEXT], TEXT, text.encode("utf-8"))
    raise AttachmentRejected(filename, "unsupported")


# --- detection helpers -----------------------------------------------------------------------------


def _zip_type(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "classes.dex" in names or "AndroidManifest.xml" in names:
                return EXECUTABLE
            if "META-INF/MANIFEST.MF" in names and any(name.endswith(".class") for name in names):
                return EXECUTABLE
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                return ZIP
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1024 * 1024:
                return ZIP
            # Macro-enabled documents and templates declare other content types and stay unsupported.
            return DOCX if _DOCX_MAIN in archive.read(info) else ZIP
    except zlib.error:
        return CORRUPT  # a damaged deflate stream: say "unreadable", not "unsupported"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, ValueError, EOFError):
        return ZIP


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f]")  # binary data is full of them; text has none


def _decode_text(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        # Older Windows tools in China save GBK; GB18030 is its superset.
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if _CONTROL_CHARS.search(text) else text
    return None


# --- images ----------------------------------------------------------------------------------------

_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", GIF: "GIF"}
_PNG_MODES = frozenset({"1", "L", "LA", "RGB", "RGBA", "I;16"})
MAX_PIXELS = 40_000_000  # a 40-megapixel photo is larger than any phone camera takes
# One attachment is cleaned at a time in the whole process: decoding is the memory-hungry step, and five
# large images at once pushed the bot from 0.9 to 6.7 GB.
_ONE_AT_A_TIME = threading.Lock()


def _clean_image(filename: str, kind: str, data: bytes) -> Attachment:
    out_type = PNG if kind == GIF else kind
    try:
        with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[kind]]) as image:
            # Opening reads the header only. A 580 KB PNG can declare 150 megapixels, which takes seconds and
            # more than a gigabyte to decode: refuse by the declared size, before decoding anything.
            if image.width * image.height > MAX_PIXELS:
                raise AttachmentRejected(filename, "too_many_pixels", limit=MAX_PIXELS)
            # A JPEG with several frames is an MPO (phone depth maps, previews): the first is the photo.
            if kind != JPEG and getattr(image, "is_animated", False):
                raise AttachmentRejected(filename, "unsupported")
            pixels = _pixels_only(image, out_type)
        buffer = io.BytesIO()
        if out_type == JPEG:
            pixels.save(buffer, "JPEG", quality=92, optimize=True)
        elif out_type == PNG:
            # optimize=True would try every filter at level 9: seconds on a large screenshot, for a few percent.
            pixels.save(buffer, "PNG", compress_level=6)
        else:
            pixels.save(buffer, "WEBP", lossless=_webp_is_lossless(data), quality=92)
    except AttachmentRejected:
        raise
    except Exception as exc:  # Pillow raises many kinds on hostile input, DecompressionBombError included
        raise AttachmentRejected(filename, "unreadable") from exc
    return Attachment(_NEUTRAL_NAMES[out_type], out_type, buffer.getvalue())


def _pixels_only(image: Image.Image, out_type: str) -> Image.Image:
    """A new image holding nothing but the upright pixels: no info, EXIF, ICC, XMP or text."""
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    mode = _output_mode(image, out_type)
    source = image if image.mode == mode else image.convert(mode)
    # Image.new starts with an empty info dict; copy() or convert() would carry comments and profiles.
    clean = Image.new(mode, source.size)
    clean.paste(source)
    return clean


def _output_mode(image: Image.Image, out_type: str) -> str:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if out_type == JPEG:
        return "L" if image.mode in ("1", "L") else "RGB"
    if out_type == PNG and image.mode in _PNG_MODES and "transparency" not in image.info:
        return image.mode
    return "RGBA" if has_alpha else "RGB"


def _webp_is_lossless(data: bytes) -> bool:
    """Whether the WebP's image chunk is VP8L, so re-encoding lossy would degrade it."""
    pos = 12
    while pos + 8 <= len(data):
        fourcc, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        if fourcc in (b"VP8L", b"VP8 "):
            return fourcc == b"VP8L"
        pos += 8 + size + (size & 1)
    return False


# --- metadata segments of embedded pictures (inside PDF and DOCX, where re-encoding is not an option) ---

# APP0–APP13, APP15 and COM: JFIF/JFXX thumbnails, EXIF, XMP, ICC, MPF, Photoshop/IPTC, comments.
# APP14 ("Adobe") stays: it says how to interpret the colour channels.
_JPEG_DROP = frozenset({*range(0xE0, 0xEE), 0xEF, 0xFE})
_PNG_KEEP = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs"}
    | {b"acTL", b"fcTL", b"fdAT"}
)
_ORIENTATION = 0x0112


def _strip_jpeg(data: bytes, keep_orientation: bool = False) -> bytes | None:
    """The JPEG without metadata segments and trailing data, pixels untouched; None if malformed."""
    if not data.startswith(b"\xff\xd8"):
        return None
    parts = [b"\xff\xd8"]
    orientation = None
    pos, end_of_data = 2, len(data)
    while True:
        if pos + 2 > end_of_data or data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI; whatever follows (MPO frames, motion-photo videos, vendor trailers) goes
            parts.append(b"\xff\xd9")
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            parts.append(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > end_of_data:
            return None
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > end_of_data:
            return None
        segment = data[pos:end]
        if marker not in _JPEG_DROP:
            parts.append(segment)
        elif marker == 0xE1 and segment[4:10] == b"Exif\x00\x00" and orientation is None:
            orientation = _exif_orientation(segment[4:])
        pos = end
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            scan_end = _jpeg_scan_end(data, pos)
            if scan_end is None:
                return None
            parts.append(data[pos:scan_end])
            pos = scan_end
    if keep_orientation and orientation not in (None, 1):
        # Word and other viewers honour EXIF orientation; a minimal EXIF with that tag alone keeps it.
        exif = Image.Exif()
        exif[_ORIENTATION] = orientation
        body = exif.tobytes()
        parts.insert(1, b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body)
    return b"".join(parts)


def _jpeg_scan_end(data: bytes, pos: int) -> int | None:
    while True:
        found = data.find(b"\xff", pos)
        if found < 0 or found + 1 >= len(data):
            return None
        following = data[found + 1]
        # FF00 is a stuffed byte, FFD0–FFD7 restart markers, FFFF fill: all part of the scan.
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos = found + 1
            continue
        return found


def _exif_orientation(payload: bytes) -> int | None:
    try:
        exif = Image.Exif()
        exif.load(payload)
        value = exif.get(_ORIENTATION)
    except Exception:  # a damaged EXIF block only costs the orientation
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _strip_png(data: bytes) -> bytes | None:
    """The PNG with only the chunks needed to draw it (no text, EXIF, ICC, time); None if malformed."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    parts = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            return None
        if chunk_type in _PNG_KEEP:
            parts.append(data[pos:end])
        if chunk_type == b"IEND":
            return b"".join(parts)
        pos = end
    return None


# --- PDF -------------------------------------------------------------------------------------------

# Keys removed from every dictionary: XMP packets, application private data, scripts run on events,
# embedded and associated files, the document's open action.
_PDF_DROP_KEYS = ("/Metadata", "/PieceInfo", "/LastModified", "/AA", "/OpenAction", "/JavaScript")
_PDF_DROP_KEYS_MORE = ("/EmbeddedFiles", "/AF", "/XFA")  # XFA forms carry their own scripts
_PDF_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})  # GoToR/Launch name local file paths
_PDF_HEADER = re.compile(r"%PDF-\d\.\d")
_PDF_METADATA_KEYS = ("/Author", "/Creator", "/Producer", "/Title", "/Subject", "/Keywords")


def _clean_pdf(filename: str, data: bytes) -> Attachment:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _decrypt_without_password(reader):
            # Locked with a password: nothing in it can be checked, scripts and embedded programs included.
            raise AttachmentRejected(filename, "cannot_clean")
        if len(reader.pages) == 0:
            raise ValueError("no pages")
    except AttachmentRejected:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise AttachmentRejected(filename, "unreadable") from exc
    traces = _pdf_metadata_strings(reader)
    try:
        cleaned, incomplete = _rewrite_pdf(reader)
    except Exception as exc:
        # Readable but not rewritable: kept as sent it would reach reviewers with whatever active content it
        # holds, so it is refused; the reporter can send a screenshot or a re-saved copy instead.
        raise AttachmentRejected(filename, "cannot_clean") from exc
    if incomplete or _contains_any(cleaned, traces):
        return Attachment(_NEUTRAL_NAMES[PDF], PDF, cleaned, WARNING_METADATA_LEFT)
    return Attachment(_NEUTRAL_NAMES[PDF], PDF, cleaned)


def _decrypt_without_password(reader: PdfReader) -> bool:
    """Open a PDF that only has an owner password (print/copy restrictions), as viewers do."""
    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception:  # an unsupported algorithm raises (AES needs `cryptography`, a dependency)
        return False


def _rewrite_pdf(reader: PdfReader) -> tuple[bytes, bool]:
    """The pages (with outline, links and forms) in a new file, scrubbed; and whether anything was left."""
    writer = PdfWriter()
    try:
        writer.append(reader)  # keeps bookmarks, internal links and form fields
    except Exception:
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
    writer.metadata = None  # no /Info at all, not even pypdf's /Producer
    header = reader.pdf_header
    if _PDF_HEADER.fullmatch(header):
        writer.pdf_header = header
    incomplete = False
    for obj in writer._objects:  # every indirect object the writer will emit
        if obj is not None:
            incomplete |= _scrub_pdf(obj)
    _drop_unreachable(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), incomplete


def _scrub_pdf(obj: Any) -> bool:
    """Remove identifying and active entries from a PDF object and its direct children; True if some remain."""
    incomplete = False
    if isinstance(obj, DictionaryObject):
        for key in (*_PDF_DROP_KEYS, *_PDF_DROP_KEYS_MORE):
            obj.pop(key, None)
        action = obj.get("/A")
        if action is not None:
            action = action.get_object()
            if isinstance(action, DictionaryObject):
                if action.get("/S") in _PDF_SAFE_ACTIONS:
                    action.pop("/Next", None)  # a chained action could run a script
                else:
                    del obj["/A"]
        if "/Rect" in obj and "/Subtype" in obj:  # an annotation
            if obj["/Subtype"] == "/FileAttachment":
                obj.pop("/FS", None)
            if obj["/Subtype"] != "/Widget":  # a widget's /T is a form field name; elsewhere the author
                obj.pop("/T", None)
        if isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Image":
            incomplete |= _strip_pdf_image(obj)
        children: Iterator[Any] = iter(obj.values())
    elif isinstance(obj, ArrayObject):
        children = iter(obj)
    else:
        return False
    for child in children:
        if not isinstance(child, IndirectObject):  # indirect ones are visited as top-level objects
            incomplete |= _scrub_pdf(child)
    return incomplete


def _strip_pdf_image(stream: StreamObject) -> bool:
    """Cut EXIF/XMP out of a JPEG image stream; True if it is a JPEG that could not be cleaned."""
    filters = stream.get("/Filter")
    if isinstance(filters, ArrayObject):
        filters = [f.get_object() for f in filters]
        if "/DCTDecode" not in filters:
            return False
        if filters != ["/DCTDecode"]:  # a JPEG wrapped in another filter: left as is
            return True
    elif filters != "/DCTDecode":
        return False
    stripped = _strip_jpeg(stream._data)  # raw encoded bytes; pypdf cannot re-encode DCT itself
    if stripped is None:
        return True
    stream._data = stripped
    return False


def _drop_unreachable(writer: PdfWriter) -> None:
    """Forget objects nothing points to any more (the XMP streams removed above), so they are not written."""
    objects = writer._objects
    reachable: set[int] = set()
    pending = [writer.root_object.indirect_reference.idnum]  # type: ignore[union-attr]
    while pending:
        idnum = pending.pop()
        if idnum in reachable or not 1 <= idnum <= len(objects):
            continue
        reachable.add(idnum)
        pending.extend(_references(objects[idnum - 1], writer))
    for index in range(len(objects)):
        if index + 1 not in reachable:
            objects[index] = None


def _references(obj: Any, writer: PdfWriter) -> Iterator[int]:
    if isinstance(obj, IndirectObject):
        if obj.pdf is writer:
            yield obj.idnum
    elif isinstance(obj, DictionaryObject):
        for value in obj.values():
            yield from _references(value, writer)
    elif isinstance(obj, ArrayObject):
        for value in obj:
            yield from _references(value, writer)


def _pdf_metadata_strings(reader: PdfReader) -> list[str]:
    """The values of the original metadata, to check afterwards that none of them is still in the file."""
    values: list[str] = []
    try:
        info = reader.metadata
        if info is not None:
            values += [str(info[key]) for key in _PDF_METADATA_KEYS if key in info]
        xmp = reader.xmp_metadata
        if xmp is not None:
            values += [str(v) for v in xmp.dc_creator or []]
            values += [str(v) for v in (xmp.xmp_creator_tool, xmp.pdf_producer) if v]
    except Exception:  # unreadable metadata is no reason to refuse the file
        pass
    return [v.strip() for v in values if len(v.strip().encode("utf-8")) >= 4]


def _contains_any(data: bytes, strings: list[str]) -> bool:
    """Whether any string occurs in the PDF bytes as a literal (Latin-1/UTF-8/UTF-16BE) or hex string."""
    for text in strings:
        utf16 = text.encode("utf-16-be")
        forms = [text.encode("utf-8"), utf16, utf16.hex().encode(), utf16.hex().upper().encode()]
        if all(ord(ch) < 256 for ch in text):
            forms.append(text.encode("latin-1"))
        if any(form in data for form in forms):
            return True
    return False


# --- DOCX ------------------------------------------------------------------------------------------

_REL_TYPES = {
    "core-properties": b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
    "extended-properties": b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>',
    "custom-properties": b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>',
}
_DEFAULT_PROPERTY_PARTS = {
    "docProps/core.xml": "core-properties",
    "docProps/app.xml": "extended-properties",
    "docProps/custom.xml": "custom-properties",
}
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_ATTACHED_TEMPLATE = "/attachedTemplate"
_AUTHOR_ATTRIBUTE = re.compile(rb"\bw:(?:author|initials)=")
_LOCAL_PATH = re.compile(rb'Target="(?:file:|[A-Za-z]:\\|\\\\)', re.IGNORECASE)
_SHAREPOINT_PROPERTIES = b"schemas.microsoft.com/office/2006/metadata/properties"


def _clean_docx(filename: str, data: bytes) -> Attachment:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = _read_entries(archive)
    except AttachmentRejected:
        raise
    except Exception as exc:
        raise AttachmentRejected(filename, "unreadable") from exc
    property_parts = _property_parts(entries.get("_rels/.rels", b""))
    warnings: set[str] = set()
    # Embedded objects (OLE packages can hold programs) and macros are dropped, and so is every link to the
    # outside (a remote picture tells its server who opened the file, and when).
    dropped = [name for name in entries if _is_active_part(name)]
    for name in dropped:
        del entries[name]
    if dropped:
        warnings.add(WARNING_REMOVED)
    for name in [n for n in entries if n.endswith(".rels")]:
        entries[name], removed = _without_external_or_dropped(entries[name], name, set(dropped))
        if removed:
            warnings.add(WARNING_REMOVED)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            cleaned = _clean_docx_entry(name, content, property_parts, warnings)
            # A fresh ZipInfo: no original timestamps, extra fields (uid/gid, NTFS times) or comments.
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # plain readable files when unpacked anywhere
            archive.writestr(info, cleaned)
    cleaned_docx = output.getvalue()
    try:
        Document(io.BytesIO(cleaned_docx))  # Word must still be able to open what we hand over
    except Exception as exc:
        raise AttachmentRejected(filename, "unreadable") from exc
    order = (WARNING_REMOVED, WARNING_REVISIONS, WARNING_EMBEDDED, WARNING_PATHS)
    return Attachment(_NEUTRAL_NAMES[DOCX], DOCX, cleaned_docx, "".join(w for w in order if w in warnings))


def _read_entries(archive: zipfile.ZipFile) -> dict[str, bytes]:
    infos = archive.infolist()
    if len(infos) > _DOCX_MAX_ENTRIES or sum(i.file_size for i in infos) > _DOCX_MAX_UNPACKED:
        raise ValueError("too much to unpack")
    entries: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        # zipfile stops at the declared size, so the total above really bounds memory.
        entries[info.filename] = archive.read(info)  # a duplicated name keeps its last copy, as readers do
    return entries


def _property_parts(package_rels: bytes) -> dict[str, str]:
    """Which entries hold the core, extended and custom properties, as the package relationships say."""
    parts = dict(_DEFAULT_PROPERTY_PARTS)
    try:
        root = etree.fromstring(package_rels, parser=_xml_parser())
    except etree.XMLSyntaxError:
        return parts
    for rel in root.iter(f"{{{_RELS_NS}}}Relationship"):
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        target = rel.get("Target", "").lstrip("/")
        if kind in _REL_TYPES and target and rel.get("TargetMode") != "External":
            parts[target] = kind
    return parts


def _clean_docx_entry(name: str, content: bytes, property_parts: dict[str, str], warnings: set[str]) -> bytes:
    if name in property_parts:
        return _XML_DECLARATION + _REL_TYPES[property_parts[name]]
    if content.startswith(b"\xff\xd8"):
        stripped = _strip_jpeg(content, keep_orientation=True)
    elif content.startswith(_PNG_SIGNATURE):
        stripped = _strip_png(content)
    else:
        stripped = content  # embedded objects and macros were dropped before (_is_active_part)
        if name.startswith("word/media/") and not _is_plain_picture(content):
            warnings.add(WARNING_EMBEDDED)  # TIFF, SVG, HD Photo… carry metadata we do not parse
    if stripped is None:
        warnings.add(WARNING_EMBEDDED)
        return content
    if name == "word/settings.xml":
        stripped = _remove_attached_template(stripped)
    elif name == "word/_rels/settings.xml.rels":
        stripped = _remove_template_relationship(stripped)
    if name.startswith("word/") and name.endswith(".xml") and _AUTHOR_ATTRIBUTE.search(stripped):
        warnings.add(WARNING_REVISIONS)
    if name in ("word/comments.xml", "word/people.xml"):
        warnings.add(WARNING_REVISIONS)
    if name.endswith(".rels") and _LOCAL_PATH.search(stripped):
        warnings.add(WARNING_PATHS)
    if name.startswith("customXml/") and _SHAREPOINT_PROPERTIES in stripped:
        warnings.add(WARNING_PATHS)  # document-library fields: editors' names and accounts
    return stripped


def _is_plain_picture(content: bytes) -> bool:
    """GIF, BMP, EMF and WMF: formats that hold no author or location fields worth worrying about."""
    return (
        content.startswith((b"GIF8", b"BM", b"\xd7\xcd\xc6\x9a", b"\x01\x00\x09\x00", b"\x02\x00\x09\x00"))
        or content[40:44] == b" EMF"
    )


def _is_active_part(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered.startswith("word/embeddings/")
        or lowered.startswith("word/activex/")
        or lowered.endswith("vbaproject.bin")
        or lowered.endswith("vbadata.xml")
    )


def _without_external_or_dropped(rels: bytes, rels_name: str, dropped: set[str]) -> tuple[bytes, bool]:
    """Relationships minus external targets and those pointing at dropped parts; whether any went."""
    try:
        root = etree.fromstring(rels, parser=_xml_parser())
    except etree.XMLSyntaxError:
        return rels, False
    # "word/_rels/document.xml.rels" describes "word/document.xml": targets are relative to "word/".
    base = rels_name.rsplit("_rels/", 1)[0]
    removed = False
    for rel in list(root):
        target = rel.get("Target", "")
        resolved = posixpath.normpath(posixpath.join(base, target)).lstrip("/") if target else ""
        if rel.get("TargetMode", "") == "External" or resolved in dropped or _is_active_part(resolved):
            root.remove(rel)
            # The template path is authoring metadata, removed like the rest of it without a warning.
            removed |= not rel.get("Type", "").endswith(_ATTACHED_TEMPLATE)
    return (_serialize(root) if removed else rels), removed


def _remove_attached_template(settings: bytes) -> bytes:
    """Drop <w:attachedTemplate>: its relationship is a path such as C:\\Users\\<name>\\…\\模板.dotx."""
    try:
        root = etree.fromstring(settings, parser=_xml_parser())
    except etree.XMLSyntaxError:
        return settings
    found = root.findall(f"{{{_W_NS}}}attachedTemplate")
    if not found:
        return settings
    for element in found:
        root.remove(element)
    return _serialize(root)


def _remove_template_relationship(rels: bytes) -> bytes:
    try:
        root = etree.fromstring(rels, parser=_xml_parser())
    except etree.XMLSyntaxError:
        return rels
    found = [rel for rel in root if rel.get("Type", "").endswith(_ATTACHED_TEMPLATE)]
    if not found:
        return rels
    for rel in found:
        root.remove(rel)
    return _serialize(root)


def _xml_parser() -> etree.XMLParser:
    # No entity expansion, no network, no DTDs: these bytes come from a stranger.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _serialize(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))

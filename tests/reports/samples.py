"""Sample evidence files built in memory, each carrying the identifying metadata a real one would."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter

from tests.knowledge.pdfmaker import assemble_pdf

AUTHOR = "Zhang San"
AUTHOR_ZH = "张三"
EDITOR_ZH = "李四"
REVISER_ZH = "王五"
COMPANY = "某某县交通运输局"
MANAGER = "赵科长"
CAMERA_MAKE = "HUAWEI"
CAMERA_MODEL = "ALN-AL00"
SERIAL = "SN7731954406"
SOFTWARE = "Acme Photo Studio 9.1"
PDF_PRODUCER = "Acme PDF Writer 3.1"
PDF_ID = "0123456789abcdeffedcba9876543210"
TEMPLATE_PATH = "file:///C:\\Users\\zhangsan\\AppData\\Roaming\\Microsoft\\Templates\\公文模板.dotx"
CUSTOM_VALUE = "zhangsan@example.gov.cn"
GPS_LATITUDE = (39.0, 54.0, 26.5)
GPS_LONGITUDE = (116.0, 23.0, 29.0)
DOCX_TEXT = "关于某局违规公款吃喝的情况说明"
PDF_TEXT = ("Evidence page one", "Evidence page two")
PDF_TEXT_ZH = "宴请名单"

RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 200, 30)


def picture(width: int = 64, height: int = 48) -> Image.Image:
    """Left half red, right half blue, a green square top left: orientation is visible in the pixels."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    image.paste(GREEN, (0, 0, 16, 16))
    return image


def identifying_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with camera, owner, serial number, software, time and GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.Model] = CAMERA_MODEL
    exif[ExifTags.Base.Artist] = AUTHOR
    exif[ExifTags.Base.Copyright] = AUTHOR
    exif[ExifTags.Base.Software] = SOFTWARE
    exif[ExifTags.Base.DateTime] = "2026:01:01 12:34:56"
    exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.CameraOwnerName] = AUTHOR
    details[ExifTags.Base.BodySerialNumber] = SERIAL
    details[ExifTags.Base.DateTimeOriginal] = "2026:01:01 12:34:56"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    return exif


def icc_profile() -> bytes:
    """A real sRGB ICC profile (profiles can name the device or the person who calibrated it)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def xmp_packet() -> bytes:
    """An XMP packet naming the author and the tool."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
        f"<dc:creator><rdf:Seq><rdf:li>{AUTHOR_ZH}</rdf:li></rdf:Seq></dc:creator>"
        f"<xmp:CreatorTool>{SOFTWARE}</xmp:CreatorTool>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def jpeg_with_exif(orientation: int = 1, width: int = 64, height: int = 48) -> bytes:
    """A camera-style JPEG: EXIF with GPS and owner, an ICC profile, XMP and a comment."""
    buffer = io.BytesIO()
    picture(width, height).save(
        buffer,
        "JPEG",
        quality=95,
        exif=identifying_exif(orientation).tobytes(),
        icc_profile=icc_profile(),
        xmp=xmp_packet(),
        comment=f"taken by {AUTHOR}",
    )
    return buffer.getvalue()


def png_with_text() -> bytes:
    """A PNG with tEXt/iTXt author chunks, eXIf with GPS and an ICC profile."""
    info = PngInfo()
    info.add_text("Author", AUTHOR)
    info.add_itxt("Description", f"{AUTHOR_ZH}拍摄", lang="zh", tkey="描述")
    info.add_text("Software", SOFTWARE, zip=True)
    buffer = io.BytesIO()
    picture().save(buffer, "PNG", pnginfo=info, exif=identifying_exif().tobytes(), icc_profile=icc_profile())
    return buffer.getvalue()


def webp_with_exif(lossless: bool = False) -> bytes:
    """A WebP with EXIF (GPS, camera) and XMP."""
    buffer = io.BytesIO()
    picture().save(
        buffer, "WEBP", lossless=lossless, quality=95, exif=identifying_exif().tobytes(), xmp=xmp_packet()
    )
    return buffer.getvalue()


def gif(frames: int = 1) -> bytes:
    """A GIF with a comment naming the author; animated when ``frames`` > 1."""
    images = [picture()] + [picture().rotate(180) for _ in range(frames - 1)]
    buffer = io.BytesIO()
    images[0].save(
        buffer, "GIF", save_all=frames > 1, append_images=images[1:], comment=AUTHOR.encode(), duration=100
    )
    return buffer.getvalue()


def animated_png() -> bytes:
    """A two-frame APNG."""
    buffer = io.BytesIO()
    picture().save(buffer, "PNG", save_all=True, append_images=[picture().rotate(180)], duration=100)
    return buffer.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A tiny PNG claiming side × side pixels: far more than Pillow's decompression-bomb limit."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def corrupt_jpeg() -> bytes:
    """A JPEG cut off in the middle of its image data."""
    data = jpeg_with_exif(width=256, height=256)
    return data[: len(data) - 400]


def _pdf_text(text: str) -> bytes:
    """A PDF text string in UTF-16BE hex, the way producers write non-ASCII metadata."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def pdf_with_metadata(first_line: str = PDF_TEXT[0]) -> bytes:
    """Two pages of text, an EXIF-laden photo, an author's comment, XMP, a script and an /Info dictionary."""
    photo = jpeg_with_exif()
    xmp = xmp_packet()
    page_one = (
        f"BT /F1 14 Tf 50 780 Td ({first_line}) Tj ET\n"
        f"BT /F2 14 Tf 50 750 Td <{PDF_TEXT_ZH.encode('utf-16-be').hex()}> Tj ET\n"
        "q 64 0 0 48 50 600 cm /Im1 Do Q"
    ).encode("ascii")
    page_two = f"BT /F1 14 Tf 50 780 Td ({PDF_TEXT[1]}) Tj ET".encode("ascii")

    def stream(body: bytes, extra: bytes = b"") -> bytes:
        return (
            b"<< " + extra + b" /Length " + str(len(body)).encode() + b" >>\nstream\n" + body + b"\nendstream"
        )

    resources = b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> /XObject << /Im1 10 0 R >> >>"
    objects = [
        # 1 catalog: document XMP and a script run on opening
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 7 0 R /OpenAction 8 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 9 0 R] /Count 2 >>",
        # 3 page one: its own XMP, application private data, a comment annotation
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        + resources
        + b" /Contents 6 0 R /Metadata 11 0 R /Annots [12 0 R] "
        b"/PieceInfo << /Acme << /LastModified (D:20260101) /Private (" + AUTHOR.encode() + b") >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [13 0 R] >>",
        stream(page_one),
        stream(xmp, b"/Type /Metadata /Subtype /XML"),
        b"<< /S /JavaScript /JS (app.alert\\('opened'\\)) >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + resources + b" /Contents 14 0 R >>",
        stream(
            photo,
            b"/Type /XObject /Subtype /Image /Width 64 /Height 48 /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode",
        ),
        stream(xmp, b"/Type /Metadata /Subtype /XML"),
        b"<< /Type /Annot /Subtype /Text /Rect [300 700 320 720] /Contents (Please check the amounts) "
        b"/T (" + AUTHOR.encode() + b") >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> >>",
        stream(page_two),
        # 15 document information dictionary
        b"<< /Author (" + AUTHOR.encode() + b") /Creator " + _pdf_text(f"WPS 文字 - {AUTHOR_ZH}的材料") + b" "
        b"/Producer (" + PDF_PRODUCER.encode() + b") /Title " + _pdf_text(f"{AUTHOR_ZH}的举报材料") + b" "
        b"/CreationDate (D:20260101123456+08'00') >>",
    ]
    return assemble_pdf(
        objects,
        header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        trailer=f" /Info {len(objects)} 0 R /ID [<{PDF_ID}> <{PDF_ID}>]",
    )


def encrypted_pdf(user_password: str) -> bytes:
    """The sample PDF encrypted (RC4, no extra library needed); an empty user password only restricts."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_metadata())))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def rewrite_zip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The zip with the named entries replaced (or added when missing)."""
    pending = dict(replace)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = pending.pop(info.filename) if info.filename in pending else source.read(info)
            target.writestr(info, content)
        for name, content in pending.items():
            target.writestr(name, content)
    return out.getvalue()


def _docx_bytes(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def docx_with_metadata(orientation: int = 1) -> bytes:
    """A Word document whose properties, company, custom fields, template path and photo identify its author."""
    document = Document()
    document.add_paragraph(DOCX_TEXT)
    document.add_paragraph("2026年1月1日晚，在某酒店包间。")
    document.add_picture(io.BytesIO(jpeg_with_exif(orientation)))
    core = document.core_properties
    core.author = AUTHOR_ZH
    core.last_modified_by = EDITOR_ZH
    core.title = f"{AUTHOR_ZH}的材料"
    core.subject = "举报"
    core.keywords = AUTHOR
    core.comments = f"{AUTHOR_ZH}起草"
    core.category = COMPANY
    core.identifier = SERIAL
    core.revision = 7
    data = _docx_bytes(document)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        app = archive.read("docProps/app.xml").decode()
        rels = archive.read("_rels/.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
        settings = archive.read("word/settings.xml").decode()
    app = app.replace(
        "</Properties>", f"<Company>{COMPANY}</Company><Manager>{MANAGER}</Manager></Properties>"
    )
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Owner">'
        f"<vt:lpwstr>{CUSTOM_VALUE}</vt:lpwstr></property></Properties>"
    )
    rels = rels.replace(
        "</Relationships>",
        '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'custom-properties" Target="docProps/custom.xml"/></Relationships>',
    )
    types = types.replace(
        "</Types>",
        '<Override PartName="/docProps/custom.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
    )
    # The template is referenced right after <w:zoom>, where Word writes it; xmlns:r is declared already.
    settings = re.sub(r"(<w:zoom[^>]*/>)", r'\1<w:attachedTemplate r:id="rId1"/>', settings, count=1)
    settings_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'attachedTemplate" Target="{TEMPLATE_PATH}" TargetMode="External"/></Relationships>'
    )
    return rewrite_zip(
        data,
        {
            "docProps/app.xml": app.encode(),
            "docProps/custom.xml": custom.encode(),
            "_rels/.rels": rels.encode(),
            "[Content_Types].xml": types.encode(),
            "word/settings.xml": settings.encode(),
            "word/_rels/settings.xml.rels": settings_rels.encode(),
        },
    )


def docx_with_tracked_change() -> bytes:
    """A Word document with an insertion tracked under the reviser's name."""
    document = Document()
    document.add_paragraph(DOCX_TEXT)
    paragraph = document.add_paragraph("金额为")
    insertion = OxmlElement("w:ins")
    insertion.set(qn("w:id"), "1")
    insertion.set(qn("w:author"), REVISER_ZH)
    insertion.set(qn("w:date"), "2026-01-02T09:00:00Z")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "三千元"
    run.append(text)
    insertion.append(run)
    paragraph._p.append(insertion)
    return _docx_bytes(document)


def elf_header() -> bytes:
    """The first bytes of a 64-bit Linux executable."""
    return b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(40)


def pe_header() -> bytes:
    """A DOS stub pointing at a PE header, as every Windows .exe starts."""
    stub = bytearray(b"MZ" + bytes(0x3A) + (0x40).to_bytes(4, "little"))
    return bytes(stub) + b"PE\x00\x00\x4c\x01" + bytes(58)


def mach_o_header() -> bytes:
    """The first bytes of a 64-bit macOS executable."""
    return b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(24)


def shell_script() -> bytes:
    """A shell script."""
    return b"#!/bin/sh\necho 'not evidence'\n"


def zip_archive(names: tuple[str, ...] = ("secret.txt",)) -> bytes:
    """A zip archive holding small text files with the given names."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, b"hello")
    return out.getvalue()


def fifty_megabytes() -> bytes:
    """50 MB of zeros: cheap to build, far over the limit."""
    return bytes(50 * 1024 * 1024)

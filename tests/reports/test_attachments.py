"""Evidence files lose what identifies their author; executables, unknown types and huge files are refused."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
import zipfile

import pytest
from docx import Document
from PIL import Image, ImageChops, ImageOps, ImageStat
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

from assistant.messages import describe
from reports import attachments
from reports.attachments import (
    DOCX,
    EXECUTABLE,
    GIF,
    JPEG,
    MAX_PIXELS,
    PDF,
    PNG,
    SUPPORTED_DESCRIPTION,
    SUPPORTED_TYPES,
    TEXT,
    WEBP,
    ZIP,
    detect_type,
    sanitize,
)
from reports.errors import AttachmentRejected
from reports.model import MAX_ATTACHMENT_BYTES
from tests.conftest import ROOT
from tests.reports import samples

# What would give away the camera, its owner or where the photo was taken.
PHOTO_TRACES = (
    b"Exif",
    b"ICC_PROFILE",
    b"http://ns.adobe.com/xap/1.0/",
    samples.CAMERA_MAKE.encode(),
    samples.CAMERA_MODEL.encode(),
    samples.AUTHOR.encode(),
    samples.SERIAL.encode(),
    samples.SOFTWARE.encode(),
    samples.AUTHOR_ZH.encode(),
)


def rejection(data: bytes, filename: str = "evidence.bin") -> AttachmentRejected:
    with pytest.raises(AttachmentRejected) as caught:
        sanitize(filename, data)
    assert caught.value.filename == filename  # the reporter is told which of their files it was
    return caught.value


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0–255."""
    assert a.size == b.size
    return max(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean)


def assert_no_traces(data: bytes, traces: tuple[bytes, ...] = PHOTO_TRACES) -> None:
    left = [trace for trace in traces if trace in data]
    assert not left, f"still in the file: {left}"


def png_chunk_types(data: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types


# --- photos ------------------------------------------------------------------------------------------


def test_photo_with_gps_exif_is_re_encoded_without_any_metadata() -> None:
    original = samples.jpeg_with_exif()
    assert b"Exif" in original and samples.CAMERA_MODEL.encode() in original  # the sample is what it claims

    result = sanitize("IMG_20260101_张三.jpg", original, "image/jpeg")

    assert (result.filename, result.media_type, result.warning) == ("image.jpg", JPEG, "")
    image = opened(result.data)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
    assert_no_traces(result.data)
    assert difference(image, opened(original)) < 4


def test_photo_keeps_its_orientation_after_exif_is_dropped() -> None:
    original = samples.jpeg_with_exif(orientation=6)  # stored sideways; viewers turn it 90° clockwise

    image = opened(sanitize("photo.jpg", original).data)

    upright = ImageOps.exif_transpose(opened(original))
    assert image.size == upright.size == (48, 64)
    assert difference(image, upright) < 4
    # The green corner, top left as stored, is top right once the picture stands upright.
    pixel = image.getpixel((40, 4))
    assert isinstance(pixel, tuple)
    red, green, blue = pixel
    assert green > 150 and red < 100 and blue < 100


def test_png_text_chunks_exif_and_icc_profile_are_removed() -> None:
    original = samples.png_with_text()
    assert {b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP"} <= set(png_chunk_types(original))

    result = sanitize("截图.png", original)

    assert (result.filename, result.media_type) == ("image.png", PNG)
    assert set(png_chunk_types(result.data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert_no_traces(result.data)
    image = opened(result.data)
    assert image.info == {} and dict(image.getexif()) == {}
    assert difference(image, opened(original)) == 0  # PNG stays lossless


@pytest.mark.parametrize("lossless", [False, True])
def test_webp_exif_and_xmp_are_removed(lossless: bool) -> None:
    original = samples.webp_with_exif(lossless=lossless)
    assert b"EXIF" in original and b"XMP " in original

    result = sanitize("photo.webp", original)

    assert (result.filename, result.media_type) == ("image.webp", WEBP)
    assert b"EXIF" not in result.data and b"XMP " not in result.data and b"ICCP" not in result.data
    assert_no_traces(result.data)
    limit = 0 if lossless else 6
    assert difference(opened(result.data), opened(original)) <= limit


def test_still_gif_becomes_a_png_without_its_comment() -> None:
    original = samples.gif()
    assert samples.AUTHOR.encode() in original

    result = sanitize("动图.gif", original)

    assert (result.filename, result.media_type) == ("image.png", PNG)
    assert samples.AUTHOR.encode() not in result.data
    assert difference(opened(result.data), opened(original)) == 0


@pytest.mark.parametrize("data", [samples.gif(frames=3), samples.animated_png()], ids=["gif", "apng"])
def test_animated_images_are_unsupported(data: bytes) -> None:
    assert rejection(data).reason == "unsupported"


def test_corrupt_photo_is_unreadable() -> None:
    assert rejection(samples.corrupt_jpeg(), "photo.jpg").reason == "unreadable"


def test_decompression_bomb_is_unreadable_without_decoding() -> None:
    started = time.monotonic()
    assert rejection(samples.png_bomb(), "small.png").reason == "unreadable"
    assert time.monotonic() - started < 2


# --- PDF ---------------------------------------------------------------------------------------------


def test_pdf_author_and_all_other_metadata_are_removed() -> None:
    original = samples.pdf_with_metadata()
    source = PdfReader(io.BytesIO(original))
    assert source.metadata is not None and source.metadata.author == samples.AUTHOR

    result = sanitize("张三的举报材料.pdf", original, "application/pdf")

    assert (result.filename, result.media_type, result.warning) == ("document.pdf", PDF, "")
    reader = PdfReader(io.BytesIO(result.data))
    assert not reader.metadata  # no /Info dictionary at all
    assert reader.xmp_metadata is None
    author_zh = samples.AUTHOR_ZH.encode("utf-16-be")
    assert_no_traces(
        result.data,
        (
            samples.AUTHOR.encode(),
            samples.AUTHOR_ZH.encode(),
            author_zh,
            author_zh.hex().encode(),
            author_zh.hex().upper().encode(),
            samples.PDF_PRODUCER.encode(),
            samples.SOFTWARE.encode(),
            samples.PDF_ID.encode(),
            b"/Metadata",
            b"/PieceInfo",
            b"/Info",
        ),
    )


def test_pdf_keeps_its_pages_text_picture_and_comments() -> None:
    result = sanitize("material.pdf", samples.pdf_with_metadata())

    reader = PdfReader(io.BytesIO(result.data))
    assert len(reader.pages) == 2
    assert samples.PDF_TEXT[0] in reader.pages[0].extract_text()
    assert samples.PDF_TEXT_ZH in reader.pages[0].extract_text()
    assert samples.PDF_TEXT[1] in reader.pages[1].extract_text()
    (picture,) = reader.pages[0].images
    assert picture.image is not None and picture.image.size == (64, 48)
    annotations = reader.pages[0]["/Annots"]
    assert isinstance(annotations, ArrayObject)
    (annotation,) = [a.get_object() for a in annotations]
    assert annotation["/Contents"] == "Please check the amounts"
    assert "/T" not in annotation  # the comment's author


def test_pdf_photo_loses_its_exif_but_not_its_pixels() -> None:
    original = samples.pdf_with_metadata()

    result = sanitize("material.pdf", original)

    assert_no_traces(result.data)
    before = PdfReader(io.BytesIO(original)).pages[0].images[0].image
    after = PdfReader(io.BytesIO(result.data)).pages[0].images[0].image
    assert before is not None and after is not None
    assert difference(after, before) == 0  # segments cut out, scan data untouched


def test_pdf_scripts_and_open_actions_are_removed() -> None:
    result = sanitize("material.pdf", samples.pdf_with_metadata())

    for active in (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/Launch", b"/EmbeddedFiles"):
        assert active not in result.data


def test_pdf_with_author_left_in_its_text_is_flagged_to_reviewers() -> None:
    result = sanitize("material.pdf", samples.pdf_with_metadata(first_line=f"Prepared by {samples.AUTHOR}"))

    assert result.warning == attachments.WARNING_METADATA_LEFT
    assert not PdfReader(io.BytesIO(result.data)).metadata


def test_pdf_restricted_by_an_owner_password_only_is_still_cleaned() -> None:
    original = samples.encrypted_pdf(user_password="")
    assert PdfReader(io.BytesIO(original)).is_encrypted

    result = sanitize("material.pdf", original)

    assert result.warning == ""
    reader = PdfReader(io.BytesIO(result.data))
    assert not reader.is_encrypted and not reader.metadata and len(reader.pages) == 2


def test_pdf_locked_with_a_password_is_refused_not_passed_on_unchecked() -> None:
    # Kept as sent, it reached reviewers with its JavaScript, launch action and embedded program intact.
    rejected = rejection(samples.encrypted_pdf(user_password="secret"), "material.pdf")
    assert rejected.reason == "cannot_clean"
    assert "无法检查和清理" in describe(rejected)


def test_aes_pdf_with_an_owner_password_only_is_cleaned() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(samples.pdf_with_metadata()))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    result = sanitize("material.pdf", out.getvalue())
    reader = PdfReader(io.BytesIO(result.data))
    assert not reader.is_encrypted and not reader.metadata


def test_docx_with_a_corrupt_deflate_stream_is_unreadable_with_a_clear_message() -> None:
    data = bytearray(samples.docx_with_metadata())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("[Content_Types].xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start, start + 16):  # scramble the start of its compressed stream
        data[i] ^= 0xA5
    rejected = rejection(bytes(data), "材料.docx")
    assert rejected.reason == "unreadable"
    assert describe(rejected) == "文件无法读取或已损坏：材料.docx"


def test_damaged_pdf_is_unreadable() -> None:
    assert rejection(b"%PDF-1.4\n" + bytes(range(256)) * 8, "material.pdf").reason == "unreadable"


# --- Word --------------------------------------------------------------------------------------------


def docx_entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_docx_author_editor_company_and_custom_properties_are_removed() -> None:
    original = samples.docx_with_metadata()
    assert Document(io.BytesIO(original)).core_properties.author == samples.AUTHOR_ZH

    result = sanitize("王科长的材料.docx", original, DOCX)

    assert (result.filename, result.media_type, result.warning) == ("document.docx", DOCX, "")
    core = Document(io.BytesIO(result.data)).core_properties
    assert (core.author, core.last_modified_by, core.title, core.subject) == ("", "", "", "")
    assert (core.keywords, core.comments, core.category, core.identifier) == ("", "", "", "")
    assert (core.created, core.modified, core.last_printed, core.revision) == (None, None, None, 0)
    everything = b"".join(docx_entries(result.data).values())
    traces = (
        samples.AUTHOR_ZH,
        samples.EDITOR_ZH,
        samples.AUTHOR,
        samples.COMPANY,
        samples.MANAGER,
        samples.CUSTOM_VALUE,
        samples.SERIAL,
        "zhangsan",
        "<Company>",
    )
    assert_no_traces(everything, tuple(t.encode() for t in traces))


def test_docx_keeps_its_text_and_picture() -> None:
    result = sanitize("material.docx", samples.docx_with_metadata())

    document = Document(io.BytesIO(result.data))
    assert [p.text for p in document.paragraphs][:2] == [samples.DOCX_TEXT, "2026年1月1日晚，在某酒店包间。"]
    (shape,) = document.inline_shapes
    assert shape.type is not None
    picture = docx_entries(result.data)["word/media/image1.jpg"]
    assert_no_traces(picture)
    assert difference(opened(picture), samples.picture()) < 4


def test_docx_picture_keeps_only_its_orientation() -> None:
    result = sanitize("material.docx", samples.docx_with_metadata(orientation=6))

    picture = docx_entries(result.data)["word/media/image1.jpg"]
    assert dict(opened(picture).getexif()) == {0x0112: 6}
    assert_no_traces(picture, PHOTO_TRACES[1:])


def test_docx_template_path_and_zip_timestamps_are_removed() -> None:
    original = samples.docx_with_metadata()
    assert b"attachedTemplate" in docx_entries(original)["word/settings.xml"]

    result = sanitize("material.docx", original)

    entries = docx_entries(result.data)
    assert b"attachedTemplate" not in entries["word/settings.xml"]
    assert b"Users" not in entries["word/_rels/settings.xml.rels"]
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.extra for info in archive.infolist()} == {b""}


def test_docx_with_tracked_changes_is_flagged_to_reviewers() -> None:
    result = sanitize("material.docx", samples.docx_with_tracked_change())

    assert result.warning == attachments.WARNING_REVISIONS
    assert Document(io.BytesIO(result.data)).paragraphs[0].text == samples.DOCX_TEXT


def test_docx_with_a_local_file_link_is_flagged_to_reviewers() -> None:
    original = samples.docx_with_metadata()
    rels = docx_entries(original)["word/_rels/document.xml.rels"].decode()
    link = (
        '<Relationship Id="rId77" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'hyperlink" Target="file:///D:\\张三\\台账.xlsx" TargetMode="External"/></Relationships>'
    )
    linked = samples.rewrite_zip(
        original, {"word/_rels/document.xml.rels": rels.replace("</Relationships>", link).encode()}
    )

    result = sanitize("material.docx", linked)
    # The link itself is gone (every external relationship is dropped), and reviewers are told.
    assert result.warning == attachments.WARNING_REMOVED
    assert "张三".encode() not in result.data and "台账".encode() not in result.data


def test_macro_enabled_word_document_is_unsupported() -> None:
    original = samples.docx_with_metadata()
    types = docx_entries(original)["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
    )
    macro = samples.rewrite_zip(original, {"[Content_Types].xml": types})

    assert rejection(macro, "material.docx").reason == "unsupported"


# --- plain text --------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_plain_text_is_kept_as_utf8(encoding: str) -> None:
    text = "2026年1月1日，某局在某酒店宴请，共三桌。\r\n金额：约 5000 元。\n"

    result = sanitize("记录.txt", text.encode(encoding))

    assert (result.filename, result.media_type, result.warning) == ("text.txt", TEXT, "")
    assert result.data.decode("utf-8") == text


# --- refusals ----------------------------------------------------------------------------------------

EXECUTABLES = {
    "elf": samples.elf_header(),
    "pe": samples.pe_header(),
    "mach-o": samples.mach_o_header(),
    "shell": samples.shell_script(),
    "apk": samples.zip_archive(("AndroidManifest.xml", "classes.dex")),
    "jar": samples.zip_archive(("META-INF/MANIFEST.MF", "com/example/Main.class")),
}


@pytest.mark.parametrize("name", ["evidence.pdf", "photo.jpg", "notes.txt"])
@pytest.mark.parametrize("kind", list(EXECUTABLES))
def test_executables_are_refused_whatever_their_name(kind: str, name: str) -> None:
    with pytest.raises(AttachmentRejected) as caught:
        sanitize(name, EXECUTABLES[kind], "application/pdf")
    assert caught.value.reason == "executable"


def test_zip_named_pdf_is_unsupported() -> None:
    assert rejection(samples.zip_archive(), "evidence.pdf").reason == "unsupported"


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,  # unknown binary
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),  # Word 97-2003 (OLE): metadata we cannot clean
        samples.zip_archive(("[Content_Types].xml", "xl/workbook.xml")),  # Excel
    ],
    ids=["binary", "doc", "xlsx"],
)
def test_other_types_are_unsupported(data: bytes) -> None:
    assert rejection(data).reason == "unsupported"


def test_fifty_megabytes_is_too_large_before_anything_is_parsed() -> None:
    payload = samples.fifty_megabytes()
    started = time.monotonic()

    error = rejection(payload, "video.mp4")

    assert (error.reason, error.limit) == ("too_large", MAX_ATTACHMENT_BYTES)
    assert time.monotonic() - started < 1


def test_size_limit_is_inclusive() -> None:
    assert rejection(b"a" * (MAX_ATTACHMENT_BYTES + 1)).reason == "too_large"
    assert len(sanitize("notes.txt", b"a" * MAX_ATTACHMENT_BYTES).data) == MAX_ATTACHMENT_BYTES


def test_empty_file_is_unreadable() -> None:
    assert rejection(b"", "empty.jpg").reason == "unreadable"


# --- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (samples.jpeg_with_exif(), JPEG),
        (samples.png_with_text(), PNG),
        (samples.webp_with_exif(), WEBP),
        (samples.gif(), GIF),
        (samples.pdf_with_metadata(), PDF),
        (b"\r\n" + samples.pdf_with_metadata(), PDF),  # junk before the header, as readers allow
        (samples.docx_with_tracked_change(), DOCX),
        ("举报内容".encode(), TEXT),
        (samples.zip_archive(), ZIP),
        (samples.elf_header(), EXECUTABLE),
        (b"\xef\xbb\xbf#!/usr/bin/env python\n", EXECUTABLE),
        (bytes(range(256)), None),
    ],
)
def test_detect_type_looks_at_content(data: bytes, expected: str | None) -> None:
    assert detect_type(data) == expected


def test_supported_description_names_every_supported_kind() -> None:
    assert {JPEG, PNG, WEBP, GIF, PDF, DOCX, TEXT} == SUPPORTED_TYPES
    for word in ("JPG", "PNG", "WebP", "GIF", "PDF", ".docx", "文本"):
        assert re.search(re.escape(word), SUPPORTED_DESCRIPTION)


def _huge_png(width: int, height: int) -> bytes:
    # One bit per pixel while building it: a 150-megapixel canvas is 19 MB here, a few hundred KB as PNG.
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, "PNG")
    return out.getvalue()


def test_an_image_with_too_many_pixels_is_refused_before_decoding() -> None:
    data = _huge_png(8000, 6000)  # 48 megapixels
    assert len(data) < 2 * 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(AttachmentRejected) as caught:
        sanitize("big.png", data)
    assert caught.value.reason == "too_many_pixels" and caught.value.limit == MAX_PIXELS
    assert time.perf_counter() - started < 2.0  # a decode would take seconds
    assert "图片尺寸太大" in describe(caught.value)


def test_an_image_just_under_the_cap_is_kept() -> None:
    kept = sanitize("wide.png", _huge_png(4000, 2500))  # 10 megapixels
    assert kept.media_type == "image/png"


_MEMORY_PROBE = """
import io, resource, sys
from PIL import Image
from reports.attachments import sanitize
from reports.errors import AttachmentRejected
out = io.BytesIO()
Image.new("1", (12248, 12248), 1).save(out, "PNG")  # 150 megapixels, as in the review
data = out.getvalue()
del out
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(5):
    try:
        sanitize("bomb.png", data)
    except AttachmentRejected as error:
        assert error.reason == "too_many_pixels"
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
"""


def test_five_pixel_bombs_cost_no_memory() -> None:
    # In a fresh process, so that the peak is this test's alone (decoding one took 1.18 GB).
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) < 50  # MB of peak growth while handling the five


def _docx_with_active_content() -> bytes:
    """A DOCX carrying an embedded program, a VBA part and a remote picture that reports who opened it."""
    source = samples.docx_with_metadata()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(out, "w") as archive:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdX1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/oleObject" Target="embeddings/oleObject1.bin"/>'
                    b'<Relationship Id="rIdX2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/image" Target="http://tracker.example/track.png?r=42" TargetMode="External"/>'
                    b'<Relationship Id="rIdX3" Type="http://schemas.microsoft.com/office/2006/relationships/'
                    b'vbaProject" Target="vbaProject.bin"/></Relationships>',
                )
            archive.writestr(info, data)
        archive.writestr(
            "word/embeddings/oleObject1.bin", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00program"
        )
        archive.writestr("word/vbaProject.bin", b'\xd0\xcf\x11\xe0Attribute VB_Name = "Module1"')
    return out.getvalue()


def test_docx_embedded_objects_macros_and_external_links_are_removed_and_flagged() -> None:
    result = sanitize("材料.docx", _docx_with_active_content())
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        names = archive.namelist()
        rels = archive.read("word/_rels/document.xml.rels")
    assert not [n for n in names if n.startswith("word/embeddings/") or n.endswith("vbaProject.bin")]
    assert b"tracker.example" not in result.data and b"TargetMode" not in rels
    assert b"oleObject1.bin" not in rels and b"vbaProject" not in rels
    assert attachments.WARNING_REMOVED in result.warning
    Document(io.BytesIO(result.data))  # still opens


def test_pdf_xfa_forms_are_dropped() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(samples.pdf_with_metadata()))
    xfa = writer._add_object(StreamObject())  # building a hostile sample
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): xfa}
    )
    out = io.BytesIO()
    writer.write(out)
    cleaned = sanitize("form.pdf", out.getvalue())
    reader = PdfReader(io.BytesIO(cleaned.data))
    form = reader.trailer["/Root"].get("/AcroForm")
    assert form is None or "/XFA" not in form.get_object()

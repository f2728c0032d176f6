"""Uploads are judged by their content, never by their name; names are made safe, Chinese kept."""

from __future__ import annotations

import pytest

from service.attachments import detect
from service.attachments.detect import UnsupportedFileType, inspect, sanitise_name
from service.errors import InvalidInput, PayloadTooLarge
from tests.service.attachments import samples

CAP = 1024 * 1024


@pytest.mark.parametrize(("data", "name", "content_type"), [
    (samples.PDF, "自评报告.pdf", detect.PDF),
    (samples.png(), "现场.png", detect.PNG),
    (samples.JPEG, "photo.jpg", detect.JPEG),
    (samples.GIF, "chart.gif", detect.GIF),
    (samples.WEBP, "scan.webp", detect.WEBP),
    (samples.ooxml("word/document.xml"), "方案.docx", detect.DOCX),
    (samples.ooxml("xl/workbook.xml"), "明细.xlsx", detect.XLSX),
    (samples.ooxml("ppt/presentation.xml"), "汇报.pptx", detect.PPTX),
    (samples.ole2("WordDocument"), "旧版.doc", detect.DOC),
    (samples.ole2("Workbook"), "旧表.xls", detect.XLS),
    (samples.ole2("PowerPoint Document"), "旧稿.ppt", detect.PPT),
    (samples.CSV_UTF8, "台账.csv", detect.CSV),
    (samples.CSV_GB18030, "台账.CSV", detect.CSV),
    (samples.zip_of({"票据/发票1.pdf": samples.PDF, "说明.txt": "说明".encode()}), "材料.zip", detect.ZIP),
])
def test_accepted_kinds_are_recognised_by_content(data, name, content_type):
    found = inspect(data, name, CAP)
    assert found.content_type == content_type and found.name == name and found.size == len(data)


@pytest.mark.parametrize(("data", "claimed"), [
    (samples.PDF, "报告.docx"), (samples.png(), "图片"), (samples.ooxml("word/document.xml"), "方案.pdf"),
])
def test_the_name_does_not_decide_the_type_and_gets_a_fitting_extension(data, claimed):
    found = inspect(data, claimed, CAP)
    assert found.content_type == detect.detect(data)
    assert found.name.startswith(claimed) and found.name.endswith(detect.EXTENSIONS[found.content_type][0])


@pytest.mark.parametrize(("data", "name"), [
    (samples.EXE, "报告.pdf"), (samples.EXE, "setup.exe"), (samples.ELF, "data.csv"), (samples.MACHO, "图.png"),
    (samples.SCRIPT, "台账.csv"), (b"\xef\xbb\xbf#!/usr/bin/env python\nprint(1)\n", "x.csv"),
    (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", "a.zip"),
])
def test_executables_and_scripts_are_refused_even_renamed(data, name):
    with pytest.raises(UnsupportedFileType, match="executables and scripts are not accepted"):
        inspect(data, name, CAP)


@pytest.mark.parametrize(("data", "name", "reason"), [
    (samples.zip_of({"readme.txt": b"hi", "tools/run.pdf": samples.EXE}), "材料.zip", "run.pdf"),
    (samples.ooxml("word/document.xml", {"word/vbaProject.bin": b"\x00"}), "宏.docx", "macro"),
    (samples.ole2("_VBA_PROJECT"), "宏.doc", "macro"),
    (samples.ole2("SummaryInformation"), "setup.msi", "Word, Excel and PowerPoint"),
    (b"PK\x03\x04garbage", "broken.zip", "cannot be read"),
    (b"plain text, not named csv", "notes.txt", "not accepted"),
    (b"a,b\n1,\x00\n", "nul.csv", "not accepted"),
    (b"\x80\xff\xfe,\x81\n", "binary.csv", "not accepted"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.svg", "not accepted"),
    (b"<html><script>alert(1)</script></html>", "page.html", "not accepted"),
])
def test_other_content_is_refused(data, name, reason):
    with pytest.raises(UnsupportedFileType, match=reason):
        inspect(data, name, CAP)


def test_size_cap_and_empty_files():
    assert inspect(samples.PDF, "a.pdf", len(samples.PDF)).size == len(samples.PDF)
    with pytest.raises(PayloadTooLarge):
        inspect(samples.PDF, "a.pdf", len(samples.PDF) - 1)
    with pytest.raises(InvalidInput, match="empty"):
        inspect(b"", "a.pdf", CAP)


@pytest.mark.parametrize(("raw", "safe"), [
    ("绩效自评报告（2015年）.pdf", "绩效自评报告（2015年）.pdf"),
    ("C:\\Users\\张三\\Desktop\\报告.pdf", "报告.pdf"),
    ("../../etc/passwd", "passwd"),
    ("/var/www/../报告.pdf", "报告.pdf"),
    ("报\x00告\r\n.pdf", "报告.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # the right-to-left override would show "invoiceexe.pdf"
    ('a<b>c:d"e|f?g*h.pdf', "a_b_c_d_e_f_g_h.pdf"),
    ("CON.pdf", "_CON.pdf"),
    ("lpt1", "_lpt1"),
    ("  ..报告.pdf. ", "报告.pdf"),
    ("...", ""),
])
def test_names_are_sanitised(raw, safe):
    assert sanitise_name(raw) == safe


def test_long_names_keep_their_extension_and_nameless_files_get_one():
    name = sanitise_name("长" * 300 + ".pdf")
    assert len(name) == detect.MAX_NAME and name.endswith(".pdf")
    assert inspect(samples.PDF, "", CAP).name == "attachment.pdf"
    assert inspect(samples.PDF, "../..", CAP).name == "attachment.pdf"

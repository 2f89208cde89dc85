"""Make ``templates/default/reference.docx``: the Word styles of ``build --format docx``.

It is pandoc's own reference document with the built-in design's type and colours (Noto Serif
for text, Inter for headings, the accent colour for headings and links) and a paragraph style
for pull quotes, "Standpunt Quote". The result is committed; run this again after changing it:

    python3 scripts/make_reference_docx.py

The zip is written with fixed dates and in a fixed order, so the same script makes the same bytes.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from standpunt.pandoc import pandoc_executable  # noqa: E402

TARGET = ROOT / "src" / "standpunt" / "templates" / "default" / "reference.docx"
ACCENT = "0B5A6E"
ACCENT_DARK = "073B48"
MUTED = "5D6166"

QUOTE_STYLE = f"""<w:style w:type="paragraph" w:customStyle="1" w:styleId="StandpuntQuote">\
<w:name w:val="Standpunt Quote"/><w:basedOn w:val="BodyText"/><w:next w:val="BodyText"/>\
<w:qFormat/><w:pPr><w:pBdr><w:left w:val="single" w:sz="18" w:space="8" w:color="{ACCENT}"/>\
</w:pBdr><w:spacing w:before="240" w:after="240"/><w:ind w:left="360"/></w:pPr>\
<w:rPr><w:rFonts w:ascii="Inter" w:hAnsi="Inter"/><w:i/><w:color w:val="{ACCENT_DARK}"/>\
<w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr></w:style>"""


def restyled(name: str, data: bytes) -> bytes:
    """One part of the document, with our type and colours."""
    if name == "word/theme/theme1.xml":
        text = data.decode("utf-8")
        text = re.sub(r'(<a:majorFont>\s*<a:latin typeface=")[^"]*"', r'\1Inter"', text, count=1)
        text = re.sub(
            r'(<a:minorFont>\s*<a:latin typeface=")[^"]*"', r'\1Noto Serif"', text, count=1
        )
        return text.encode("utf-8")
    if name == "word/styles.xml":
        text = data.decode("utf-8")
        # headings and titles in the accent colour (pandoc's default is a blue of its own)
        text = re.sub(
            r'<w:color w:val="[0-9A-Fa-f]{6}"\s*/>', f'<w:color w:val="{ACCENT_DARK}"/>', text
        )
        text = text.replace("</w:styles>", QUOTE_STYLE + "</w:styles>")
        return text.encode("utf-8")
    return data


def main() -> None:
    default = subprocess.run(
        [pandoc_executable(), "--print-default-data-file", "reference.docx"],
        check=True,
        capture_output=True,
    ).stdout
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(default)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            data = restyled(info.filename, source.read(info))
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    TARGET.write_bytes(out.getvalue())
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(out.getvalue())} bytes)")


if __name__ == "__main__":
    main()

"""Archival PDF: PDF/A-3b with XMP metadata, tagged, the evidence attached, the same bytes every time.

WeasyPrint writes the PDF/A-3b structure (``pdf_variant``: the sRGB output intent, embedded fonts, the
XMP packet, attachments as associated files with their ``AFRelationship``); this module adds what an
archive needs beyond it:

- **attachments** (:class:`EvidenceFile`) with a relationship (``Data`` for inputs, ``Source`` for
  notebooks, ``Supplement`` for results and the manifest), dated with the document's own date;
- **the provenance manifest** (``riskbook-evidence.json``): built last, once the layout has chosen the
  fonts, so it records the SHA-256 of every font file the PDF embeds beside every attachment's;
- **XMP** beyond WeasyPrint's title, author, subject, keywords and dates: ``dc:language``, a document id
  derived from the content, and riskbook's own properties (document kind, customer, as-of date, the
  manifest's SHA-256), declared in a PDF/A extension schema as PDF/A requires.

**Resources** come only from the report's own folders: every ``HTML(...)`` is given
:func:`report_url_fetcher`, which loads ``data:`` URIs and files under the template folder and the
document's output folders (charts), and refuses anything else (``http``, ``https``, ``ftp``, a file
elsewhere, a ``../`` way out of a folder, a symbolic link pointing out of one).

Nothing in the file comes from the wall clock or a random number: dates come from the caller (the
analysis date, or ``SOURCE_DATE_EPOCH``), the PDF's ``/ID`` is WeasyPrint's hash of the content, and the
XMP document id is a hash of the manifest. The same HTML, attachments and fonts give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit
from urllib.request import url2pathname
from xml.sax.saxutils import escape

from ..data.store import atomic_write_bytes
from ..exceptions import RenderError

__all__ = ["PDF_VARIANT", "MANIFEST_NAME", "RELATIONSHIPS", "EvidenceFile", "DocumentInfo", "write_pdfa",
           "sha256_hex", "check_resource_url", "report_url_fetcher"]

PDF_VARIANT = "pdf/a-3b"
#: The attachment that lists every other one with its SHA-256 (see :mod:`helpers.report.evidence`).
MANIFEST_NAME = "riskbook-evidence.json"
#: The associated-file relationships PDF/A-3 allows (ISO 19005-3, 6.8).
RELATIONSHIPS = ("Data", "Source", "Alternative", "Supplement", "Unspecified")
_RISKBOOK_NS = "https://riskbook.dev/ns/report/1.0/"


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data``, hex."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class EvidenceFile:
    """One file attached to a report.

    Attributes
    ----------
    name : str
        Its path inside the PDF (``inputs/invoices.csv``); POSIX, relative, unique within a report.
    data : bytes
        Its content.
    relationship : str
        How it relates to the report (:data:`RELATIONSHIPS`).
    role : str
        What it is, as a code (``input``, ``context``, ``policy``, ``model``, ``result``, ``summary``,
        ``notebook``, ``previous``); readers' descriptions come from the catalogue.
    description : str
        The text a PDF reader shows beside it, in the report's language.
    """

    name: str
    data: bytes
    relationship: str
    role: str
    description: str = ""

    def __post_init__(self):
        if self.relationship not in RELATIONSHIPS:
            raise RenderError(f"attachment {self.name}: relationship {self.relationship!r} is not one of "
                              f"{', '.join(RELATIONSHIPS)}")
        if self.name.startswith("/") or ".." in Path(self.name).parts or "\\" in self.name:
            raise RenderError(f"attachment names are relative POSIX paths, not {self.name!r}")

    @property
    def sha256(self) -> str:
        """SHA-256 of the content, hex."""
        return sha256_hex(self.data)

    def entry(self) -> dict:
        """The manifest's entry for this file: name, role, relationship, size and SHA-256."""
        return {"name": self.name, "role": self.role, "relationship": self.relationship, "bytes": len(self.data),
                "sha256": self.sha256}


@dataclass(frozen=True)
class DocumentInfo:
    """What the XMP packet says about a document beyond its HTML head.

    Attributes
    ----------
    kind : str
        ``customer_report``, ``model_validation`` or ``portfolio_pack``.
    lang : str
        BCP 47 language of the text (``en``, ``zh-CN``).
    date : datetime
        The document's date (UTC): creation and modification date, and every attachment's date.
    properties : dict of str to str
        riskbook's own XMP properties (``customerId``, ``asOf``, ...); names are XML local names.
    manifest_description : str
        What a PDF reader shows beside the manifest attachment, in the document's language.
    """

    kind: str
    lang: str
    date: dt.datetime
    properties: dict[str, str] = field(default_factory=dict)
    manifest_description: str = "riskbook provenance manifest"

    @property
    def iso_date(self) -> str:
        """The date as W3C date-time in UTC (``2026-09-30T00:00:00Z``)."""
        return self.date.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_resource_url(url: str, roots: Iterable[str | Path]) -> str:
    """The URL a report may load, or a :class:`~helpers.exceptions.RenderError` saying why not.

    Allowed are ``data:`` URIs (they carry their content) and ``file:`` URLs of files inside one of
    ``roots`` once every ``..`` and symbolic link is resolved; refused are every other scheme (``http``,
    ``https``, ``ftp``, ...), a file anywhere else, a file URL naming another host, a path with a NUL byte.

    Parameters
    ----------
    url : str
        An absolute URL, as WeasyPrint asks for it (relative references are already joined to the base URL).
    roots : iterable of str or Path
        The folders the document may read from: its template folder and its output folders.

    Returns
    -------
    str
        ``url`` for a ``data:`` URI; the ``file:`` URL of the resolved path for a file (the file checked is
        the file read).

    Raises
    ------
    RenderError
        For anything else.
    """
    text = str(url)
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "data":
        return text
    shown = text if len(text) <= 200 else text[:200] + "…"
    if scheme != "file":
        raise RenderError(f"a report loads nothing from the network or other schemes: refused {shown!r}")
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise RenderError(f"a report loads no file of another host: refused {shown!r}")
    try:
        path = os.path.realpath(url2pathname(parts.path))
        allowed = [os.path.realpath(_local_path(r)) for r in roots if str(r)]
    except (ValueError, OSError):  # a NUL byte, a path too long
        raise RenderError(f"a report loads no such file: refused {shown!r}") from None
    if not any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in allowed):
        raise RenderError(f"a report loads files from its template and output folders only: refused {shown!r}")
    return Path(path).as_uri()


def _local_path(root: str | Path) -> str:
    """A root folder as a local path (a ``file:`` URL, as WeasyPrint takes base URLs, is turned into one)."""
    text = str(root)
    return url2pathname(urlsplit(text).path) if text.lower().startswith("file:") else text


@lru_cache(maxsize=1)
def _fetcher_class():
    """WeasyPrint's :class:`~weasyprint.urls.URLFetcher` with :func:`check_resource_url` before each fetch
    (made on first use: importing WeasyPrint loads Pango, which only rendering needs)."""
    from weasyprint.urls import URLFetcher

    class ReportURLFetcher(URLFetcher):
        """Fetches ``data:`` URIs and the files under ``roots``; raises RenderError for anything else
        (WeasyPrint then leaves the resource out with a warning)."""

        def __init__(self, roots):
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.roots = tuple(str(r) for r in roots)

        def fetch(self, url, headers=None):
            return super().fetch(check_resource_url(url, self.roots), headers)

    return ReportURLFetcher


def report_url_fetcher(roots: Iterable[str | Path]):
    """The URL fetcher every report's ``HTML(...)`` gets: only ``data:`` URIs and files inside ``roots``
    (see :func:`check_resource_url`).

    Parameters
    ----------
    roots : iterable of str or Path
        The template folder (stylesheet, fonts) and the document's output folders (its charts).

    Returns
    -------
    weasyprint.urls.URLFetcher
        Callable with a URL, as WeasyPrint calls it: the resource, or :class:`~helpers.exceptions.RenderError`.
    """
    return _fetcher_class()(roots)


def write_pdfa(html: str, target: str | Path, *, base_url: str | Path, info: DocumentInfo,
               attachments: list[EvidenceFile] = (),
               manifest: Callable[[list[dict]], dict] | None = None,
               resources: Iterable[str | Path] = ()) -> tuple[Path, dict | None]:
    """Render HTML to a PDF/A-3b file with the attachments and, last, the provenance manifest.

    Parameters
    ----------
    html : str
        The document; its head names the title, author, description, keywords and the dates
        (``dcterms.created``/``dcterms.modified``, which should equal ``info.date``).
    target : str or Path
        The PDF, written atomically.
    base_url : str or Path
        Where the stylesheet and relative URLs resolve: the template folder, which the document may read.
    info : DocumentInfo
        Language, date and riskbook's XMP properties.
    attachments : list of EvidenceFile
        The evidence.
    manifest : callable, optional
        ``manifest(fonts)`` returns the provenance manifest (a JSON-able dict) given the fonts the
        layout embedded (``[{"family", "style", "weight", "bytes", "sha256"}]``); its ``files`` should
        list the attachments' :meth:`EvidenceFile.entry`. It is attached as :data:`MANIFEST_NAME`.
    resources : iterable of str or Path
        Further folders the document may read (its charts); nothing outside ``base_url`` and these is
        loaded (:func:`report_url_fetcher`).

    Returns
    -------
    path : Path
        The PDF written.
    manifest : dict or None
        The manifest as attached.

    Raises
    ------
    RenderError
        When WeasyPrint fails or an attachment name repeats.
    """
    from weasyprint import HTML, Attachment  # WeasyPrint loads Pango; only rendering needs it

    names = [a.name for a in attachments]
    if len(set(names)) != len(names) or MANIFEST_NAME in names:
        raise RenderError(f"{target}: attachment names repeat: {', '.join(sorted(names))}")
    date = info.date.astimezone(dt.timezone.utc).replace(tzinfo=None)
    placeholder = f"riskbook manifest placeholder {sha256_hex(html.encode())}".encode()
    files = [Attachment(string=a.data, name=a.name, description=a.description, created=date, modified=date,
                        relationship=a.relationship) for a in attachments]
    if manifest is not None:
        files.append(Attachment(string=placeholder, name=MANIFEST_NAME, description=info.manifest_description,
                                created=date, modified=date, relationship="Supplement"))
    done: dict = {}

    def finish(document, pdf):
        _unique_af(pdf)
        fonts = _fonts(document)
        data = None
        if manifest is not None:
            done["manifest"] = {**manifest(fonts), "document_date": info.iso_date}
            data = (json.dumps(done["manifest"], indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()
            _replace_attachment(pdf, placeholder, data)
        _extend_xmp(pdf, info, sha256_hex(data) if data is not None else "")

    options = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}
    try:
        fetcher = report_url_fetcher((base_url, *resources))
        document = HTML(string=html, base_url=str(base_url), url_fetcher=fetcher).render(**options)
        # the dates are the caller's, whatever the HTML head says (the PDF's and the XMP packet's alike)
        document.metadata.created = document.metadata.modified = info.iso_date
        pdf = document.write_pdf(attachments=files, finisher=finish, **options)
    except Exception as exc:  # WeasyPrint raises many kinds
        raise RenderError(f"WeasyPrint could not render {target}: {exc}") from exc
    return atomic_write_bytes(target, pdf), done.get("manifest")


def _fonts(document) -> list[dict]:
    """The font files the layout embedded: family, style, weight, size and SHA-256 of the file's bytes
    (the whole font file HarfBuzz read, not the subset the PDF embeds)."""
    from weasyprint.text.fonts import get_hb_object_data

    seen = {}
    for font in document.fonts.values():
        blob = bytes(get_hb_object_data(font.hb_face) or font.file_content)
        digest = sha256_hex(blob)
        entry = seen.setdefault(digest, {"family": font.family, "bytes": len(blob), "sha256": digest,
                                         "faces": set()})
        entry["faces"].add(f"{font.family} {int(font.weight)} {_STYLES.get(font.style, font.style)}")
    return sorted(({**e, "faces": sorted(e["faces"])} for e in seen.values()), key=lambda e: (e["family"], e["sha256"]))


_STYLES = {0: "normal", 1: "oblique", 2: "italic"}


def _unique_af(pdf) -> None:
    """List each associated file once in the catalogue's ``/AF`` (WeasyPrint adds each twice)."""
    af = pdf.catalog.get("AF")
    if af is not None:
        seen = list(dict.fromkeys(af))
        af.clear()
        af.extend(seen)


def _object(pdf, reference: bytes):
    return pdf.objects[int(reference.split()[0])]


def _replace_attachment(pdf, placeholder: bytes, data: bytes) -> None:
    """Put the manifest's content where its placeholder was written (its checksum and size with it)."""
    for obj in pdf.objects:
        extra = getattr(obj, "extra", None)
        if isinstance(extra, dict) and extra.get("Type") == "/EmbeddedFile" and obj.stream == [placeholder]:
            obj.stream[0] = data
            extra["Params"]["CheckSum"] = f"<{hashlib.md5(data, usedforsecurity=False).hexdigest()}>"
            extra["Params"]["Size"] = len(data)
            return
    raise RenderError("the manifest attachment was not written")


def _extend_xmp(pdf, info: DocumentInfo, manifest_sha256: str) -> None:
    """Add dc:language, the xmpMM ids, xmp:MetadataDate and riskbook's properties to the XMP packet."""
    stream = _object(pdf, pdf.catalog["Metadata"])
    packet = b"".join(stream.stream)
    seed = manifest_sha256 or sha256_hex(packet)
    doc_id = f"uuid:{uuid.UUID(seed[:32])}"
    props = {"kind": info.kind, **info.properties}
    if manifest_sha256:
        props["evidenceSha256"] = manifest_sha256
    riskbook = "".join(f"<riskbook:{k}>{escape(str(v))}</riskbook:{k}>" for k, v in sorted(props.items()))
    extension = "".join(
        "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{0}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category>"
        "<pdfaProperty:description>{1}</pdfaProperty:description></rdf:li>".format(k, _PROPERTY_TEXT.get(k, k))
        for k in sorted(props))
    xml = (
        '<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        '<pdfaSchema:schema>riskbook report</pdfaSchema:schema>'
        f'<pdfaSchema:namespaceURI>{_RISKBOOK_NS}</pdfaSchema:namespaceURI><pdfaSchema:prefix>riskbook</pdfaSchema:prefix>'
        f'<pdfaSchema:property><rdf:Seq>{extension}</rdf:Seq></pdfaSchema:property>'
        '</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:language><rdf:Bag><rdf:li>{escape(info.lang)}</rdf:li></rdf:Bag></dc:language></rdf:Description>'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">'
        f'<xmp:MetadataDate>{info.iso_date}</xmp:MetadataDate>'
        f'<xmpMM:DocumentID>{doc_id}</xmpMM:DocumentID><xmpMM:InstanceID>{doc_id}</xmpMM:InstanceID></rdf:Description>'
        f'<rdf:Description rdf:about="" xmlns:riskbook="{_RISKBOOK_NS}">{riskbook}</rdf:Description>'
    ).encode()
    end = packet.rindex(b"</rdf:RDF>")
    stream.stream[:] = [packet[:end] + xml + packet[end:]]


_PROPERTY_TEXT = {
    "kind": "Kind of riskbook document",
    "customerId": "Customer id of the report",
    "asOf": "Analysis date of the report",
    "modelVersion": "Scorecard model version",
    "policyVersion": "Credit policy version",
    "evidenceSha256": "SHA-256 of the attached provenance manifest",
}

"""The PDF records' fonts, so that every name prints: DejaVu Sans, then fallbacks, then a visible box.

DejaVu Sans (Latin, Greek, Cyrillic and more) sets the text; a character it lacks comes from Noto Sans SC
(Chinese, kana) or Noto Emoji (monochrome); one that no font has is drawn as a white square (U+25A1)
whose text layer still carries the original character, so copying or searching the PDF finds it. All are
vendored under ``static/vendor/`` (``scripts/vendor-fonts.sh``), so no system font is needed.

Fonts cost most of a document's time: parsing a file (Noto Sans SC's 30,000 characters take ~0.3 s),
then fontTools subsetting it when fpdf2 writes the PDF (which decoded the whole file again). So each file
is parsed once per process, on first use, and every document gets a light copy sharing the parsed
character map and widths, with its own glyph subset and its own lazily read font object (fpdf2 subsets
that in place). When the document is written, ``TrimmedOutput`` first hands each copy, from what was
parsed once, the tables the subsetter needs: the glyph order, the widths, the glyphs used (fresh copies:
the subsetter rewrites them), a character map of the characters used, a post table without glyph names,
and no layout tables (fpdf2 drops them; text is not shaped). A document embeds only the fonts it used.
"""

import copy
import threading
from io import BytesIO
from types import SimpleNamespace

from fontTools import ttLib
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import OutputProducer

from crm_sandbox.config import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"
FILES = {  # fpdf2 font key (family + style) -> vendored file
    "dejavu": "dejavu-fonts-ttf/DejaVuSans.ttf",
    "dejavuB": "dejavu-fonts-ttf/DejaVuSans-Bold.ttf",
    "dejavuI": "dejavu-fonts-ttf/DejaVuSans-Oblique.ttf",
    "notosanssc": "noto-sans-sc/NotoSansSC_400Regular.ttf",
    "notoemoji": "noto-emoji/NotoEmoji_400Regular.ttf",
}
FAMILY = "dejavu"  # the text's family: regular, bold ("B") and oblique ("I")
FALLBACKS = ("notosanssc", "notoemoji")  # regular only: bold or oblique text falls back to regular
MISSING = "dejavumissing"  # a copy of DejaVu Sans drawing PLACEHOLDER for every character no font has
MISSING_SOURCE = FAMILY
PLACEHOLDER = 0x25A1  # WHITE SQUARE
UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "STAT", "kern", "vhea", "vmtx", "hdmx", "FFTM")


class Parsed:
    """A font file parsed once: fpdf2's font object, the file's bytes, its characters, its glyph order."""

    def __init__(self, key: str):
        path = VENDOR / FILES[key]
        style = key.removeprefix(FAMILY) if key.startswith(FAMILY) else ""
        # A stand-in document: TTFFont reads only these two attributes of it while parsing.
        self.font = TTFFont(
            SimpleNamespace(fonts={}, render_color_fonts=False),  # type: ignore[arg-type]
            path,
            key,
            style,
        )
        self.data = path.read_bytes()
        self.chars = frozenset(map(chr, self.font.cmap))
        self.glyph_order = tuple(self.font.ttfont.getGlyphOrder())
        self.glyphs = dict(self.font.ttfont["glyf"].glyphs)  # name -> glyph as stored (never expanded)
        self.metrics = dict(self.font.ttfont["hmtx"].metrics)
        post = self.font.ttfont["post"]
        self.post = {
            name: getattr(post, name)
            for name in (
                "italicAngle",
                "underlinePosition",
                "underlineThickness",
                "isFixedPitch",
                "minMemType42",
                "maxMemType42",
                "minMemType1",
                "maxMemType1",
            )
        }
        self.font.ttfont.close()  # each document opens its own copy


_parsed: dict[str, Parsed] = {}
_lock = threading.Lock()


def forget() -> None:
    """Drop the parsed fonts (the benchmark measures the parse; nothing else needs this)."""
    with _lock:
        _parsed.clear()


def parsed(key: str) -> Parsed:
    """The font ``key``, parsed once per process."""
    entry = _parsed.get(key)
    if entry is None:
        with _lock:
            entry = _parsed.get(key)
            if entry is None:
                entry = _parsed[key] = Parsed(key)
    return entry


def chars(key: str) -> frozenset:
    """The characters font ``key`` can draw."""
    return parsed(key).chars


def fallback_for(ch: str) -> str:
    """The key of the first fallback font that has ``ch``, else MISSING (drawn as a box)."""
    for key in FALLBACKS:
        if ch in chars(key):
            return key
    return MISSING


def attach(pdf: FPDF, key: str) -> TTFFont:
    """Register font ``key`` in the document ``pdf`` (as ``add_font`` would) and return it.

    The copy shares the parsed, read-only tables (character map, widths) and has its own descriptor,
    font file object and glyph subset.
    """
    source = parsed(MISSING_SOURCE if key == MISSING else key)
    template = source.font
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:
        if hasattr(template, slot):
            setattr(font, slot, getattr(template, slot))
    font.i = len(pdf.fonts) + 1
    font.fontkey = key
    font.desc = copy.copy(template.desc)  # the writer gives it an object number and the embedded file
    # Glyphs are copied as stored (no bounding boxes recomputed), as the subsetter leaves them.
    font.ttfont = ttLib.TTFont(BytesIO(source.data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.missing_glyphs, font.biggest_size_pt, font._hbfont = [], 0, None
    if key == MISSING:  # its own maps, to which each missing character is added as the box
        box, space = PLACEHOLDER, 0x20
        font.cmap = {cp: template.cmap[cp] for cp in (space, box)}
        font.glyph_ids = {cp: template.glyph_ids[cp] for cp in (space, box)}
        font.cw = template.cw.copy()
    font.subset = SubsetMap(font)
    pdf.fonts[key] = font
    return font


def add_missing(font: TTFFont, ch: str) -> None:
    """Draw ``ch`` as the placeholder box in the MISSING font ``font``, keeping ``ch`` in the text layer."""
    cp = ord(ch)
    if cp not in font.cmap:
        font.cmap[cp] = font.cmap[PLACEHOLDER]
        font.glyph_ids[cp] = font.glyph_ids[PLACEHOLDER]
        font.cw[cp] = font.cw[PLACEHOLDER]


class TrimmedOutput(OutputProducer):
    """fpdf2's writer, trimming the fonts first: after the last footer and the page count are drawn."""

    def bufferize(self) -> bytearray:
        trim(self.fpdf)
        return super().bufferize()


def trim(pdf: FPDF) -> None:
    """When ``pdf`` is complete: give each vendored font's copy the tables the subsetter needs, built from
    what was parsed once, instead of letting it decode them from the whole file (see the module's note)."""
    for key, font in pdf.fonts.items():
        if (key in FILES or key == MISSING) and isinstance(font, TTFFont):  # attach() made it
            _trim(font, parsed(MISSING_SOURCE if key == MISSING else key))


def _codepoints(unicode: int | tuple[int, ...]) -> tuple[int, ...]:
    """A glyph's code points (fpdf2 keeps a tuple; its type allows one int)."""
    return unicode if isinstance(unicode, tuple) else (unicode,)


def _trim(font: TTFFont, source: Parsed) -> None:
    ttfont = font.ttfont
    for tag in UNUSED_TABLES:
        if tag in ttfont:
            del ttfont[tag]
    ttfont.setGlyphOrder(list(source.glyph_order))
    used = {
        cp: glyph.glyph_name
        for glyph, _ in font.subset.items()
        if glyph is not None
        for cp in _codepoints(glyph.unicode)
        if cp
    }
    subtable = CmapSubtable.newSubtable(12)
    subtable.platformID, subtable.platEncID, subtable.language, subtable.cmap = 3, 10, 0, used
    ttfont["cmap"] = cmap = ttLib.newTable("cmap")
    cmap.tableVersion, cmap.tables = 0, [subtable]
    ttfont["post"] = post = ttLib.newTable("post")
    post.formatType, post.extraNames, post.mapping = 3.0, [], {}
    for name, value in source.post.items():
        setattr(post, name, value)
    ttfont["hmtx"] = hmtx = ttLib.newTable("hmtx")
    hmtx.metrics = dict(source.metrics)
    # Only the glyphs the subset keeps, each a fresh copy: the subsetter rewrites the ones it keeps.
    ttfont["loca"] = ttLib.newTable("loca")  # written from the glyphs
    ttfont["glyf"] = glyf = ttLib.newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = ttfont.getGlyphOrder(), {}
    todo = [*source.glyph_order[:4], *used.values(), *(g.glyph_name for g, _ in font.subset.items() if g)]
    while todo:
        name = todo.pop()
        if name not in glyf.glyphs:
            glyf.glyphs[name] = glyph = Glyph(getattr(source.glyphs[name], "data", b""))  # no data: empty
            todo.extend(glyph.getComponentNames(glyf))

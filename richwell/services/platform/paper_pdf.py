"""What every official paper's PDF shares: the school's heading (seal, name, address), page
numbers at the foot, tables whose header row repeats on each page, signature lines, and the
Latin-1 text the PDF core fonts can draw. The words come from `papers`, the details from
`school.details()`, so a PDF says what its HTML page says."""
from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

from . import papers
from .school import SchoolDetails

MARGIN = 15.0
FOOTER = 12.0


def latin1(text: object) -> str:
    """Text the core fonts can draw: ñ and é stay, dashes and the peso sign are spelled out."""
    value = "" if text is None else str(text)
    value = (value.replace("—", "-").replace("–", "-").replace("’", "'").replace("…", "...")
             .replace("₱", "PHP ").replace("×", "x").replace("·", "-").replace("\u00a0", " "))
    return value.encode("latin-1", "replace").decode("latin-1")


class PaperPDF(FPDF):
    """A portrait paper (A4 or letter, the `paper_size` setting) with the school's heading on
    the first page and 'Page N of M' on every page."""

    def __init__(self, school: SchoolDetails, title: str, *, size_mm: tuple[float, float] | None = None,
                 orientation: str = "P") -> None:
        width, height = size_mm or papers.portrait_mm(school.paper)
        super().__init__(orientation=orientation, unit="mm", format=(width, height) if orientation == "P"
                         else (height, width))
        self.school = school
        self.paper_title = title
        self.page_numbers = True
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + FOOTER)
        self.alias_nb_pages()
        self.set_title(latin1(f"{title} - {school.name}"))
        self.set_author(latin1(school.name))

    @property
    def content_width(self) -> float:
        return float(self.w - self.l_margin - self.r_margin)

    def footer(self) -> None:
        if not self.page_numbers:
            return
        self.set_y(-MARGIN)
        self.set_font("Helvetica", "", 8)
        self.cell(self.content_width / 2, 5, latin1(f"{self.school.name} - {self.paper_title}"))
        self.cell(self.content_width / 2, 5, papers.page_label(self.page_no(), "{nb}"), align="R")

    def heading(self, subtitle: str = "", *, seal: bool = True) -> None:
        """The school's seal, name and address, then the paper's title (and a subtitle)."""
        top = self.get_y()
        seal_file = self.school.seal_file if seal else None
        if seal_file is not None:
            self.image(str(seal_file), x=self.l_margin, y=top, w=20, h=20)
        self.set_font("Helvetica", "B", 14)
        self.cell(0, 7, latin1(self.school.name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        self.cell(0, 5, latin1(self.school.address), align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.set_font("Helvetica", "B", 12)
        self.cell(0, 7, latin1(self.paper_title), align="C", new_x="LMARGIN", new_y="NEXT")
        if subtitle:
            self.set_font("Helvetica", "", 10)
            self.cell(0, 5, latin1(subtitle), align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), top + (22 if seal_file is not None else 0)) + 3)

    def facts(self, pairs: Sequence[tuple[str, object]], label_width: float = 38) -> None:
        for label, value in pairs:
            self.set_font("Helvetica", "B", 9)
            self.cell(label_width, 5.5, latin1(label))
            self.set_font("Helvetica", "", 9)
            self.multi_cell(0, 5.5, latin1(value), new_x="LMARGIN", new_y="NEXT")

    def section_title(self, text: str) -> None:
        if self.will_page_break(20):  # never a title alone at the foot of a page
            self.add_page()
        self.ln(2)
        self.set_font("Helvetica", "B", 10.5)
        self.cell(0, 6, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def grid_table(self, heads: Sequence[str], widths: Sequence[float], rows: Sequence[Sequence[object]],
              *, align: Sequence[str] = (), foot: Sequence[Sequence[object]] = ()) -> None:
        """A bordered table whose header row is printed again at the top of every new page."""
        scale = self.content_width / sum(widths)
        sizes = [w * scale for w in widths]
        aligns = list(align) or ["L"] * len(heads)

        def header_row() -> None:
            self.set_font("Helvetica", "B", 8.5)
            self.set_fill_color(232, 232, 232)
            for size, text, how in zip(sizes, heads, aligns):
                self.cell(size, 6, latin1(text), border=1, fill=True, align=how)
            self.ln()
            self.set_font("Helvetica", "", 8.5)

        header_row()
        for row in rows:
            if self.will_page_break(6):
                self.add_page()
                header_row()
            for size, value, how in zip(sizes, row, aligns):
                self.cell(size, 6, latin1(value)[:int(size * 1.9)], border=1, align=how)
            self.ln()
        self.set_font("Helvetica", "B", 8.5)
        for row in foot:
            for size, value, how in zip(sizes, row, aligns):
                self.cell(size, 6, latin1(value), border=1, align=how)
            self.ln()

    def signature_lines(self, labels: Sequence[str], names: Sequence[str] = ()) -> None:
        """One line per signer side by side, the label (and a printed name) under each."""
        if self.will_page_break(28):
            self.add_page()
        self.ln(14)
        gap = 8.0
        width = (self.content_width - gap * (len(labels) - 1)) / len(labels)
        y = self.get_y()
        for index, label in enumerate(labels):
            x = self.l_margin + index * (width + gap)
            name = names[index] if index < len(names) else ""
            if name:
                self.set_xy(x, y - 5)
                self.set_font("Helvetica", "B", 9)
                self.cell(width, 5, latin1(name), align="C")
            self.line(x, y, x + width, y)
            self.set_xy(x, y + 1)
            self.set_font("Helvetica", "", 9)
            self.cell(width, 5, latin1(label), align="C")
        self.set_xy(self.l_margin, y + 8)

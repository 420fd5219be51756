"""The look every output shares: Party red, the palette, the type.  Charts, Excel exports, the
return template and the marked workbook all take their colours from here;
.streamlit/config.toml's primaryColor is held to PARTY_RED by a test."""

from __future__ import annotations

PARTY_RED = "#C8102E"
GOLD = "#D4A017"
# The series colours, in order: the headline series is always Party red.
PALETTE = (PARTY_RED, "#1F4E79", GOLD, "#2A9D8F", "#6C757D", "#E76F51", "#7B2D8B", "#8A9A5B", "#8C5A3C",
           "#4D9DE0", "#B5838D", "#264653")
LAGGARD = "#9AA0A6"  # the bottom of a ranking, set apart from the red
STATUS_COLORS = {"submitted": "#2A9D8F", "late": GOLD, "missing": PARTY_RED, "pending": "#D0D4D9",
                 "none": "#FFFFFF"}  # none: the unit filed no return that quarter (not yet formed, retired)
STAR_COLORS = {1: "#F3D9DC", 2: "#E8AEB6", 3: "#D9737F", 4: "#C8102E", 5: "#7A0A1C"}
ERROR_FILL = "FF9999"  # a cell with an error, in the marked workbook
WARNING_FILL = "FFD966"
WARNING_TAB = "FFC000"
FONT_FAMILY = '"Noto Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Zen Hei", sans-serif'
# The Word briefing (GB/T 9704): east-asian font names as Chinese Windows and WPS know them.
DOC_BODY_FONT = "仿宋"  # FangSong: body text, 3号
DOC_HEADING_FONT = "黑体"  # SimHei: first-level headings
DOC_SUBHEADING_FONT = "楷体"  # KaiTi: second-level headings
DOC_TITLE_FONT = "方正小标宋简体"  # the title and the issuer's masthead (Word falls back to a Song face)
DOC_NUMBER_FONT = "宋体"  # SimSun: page numbers
DOC_LATIN_FONT = "Times New Roman"
TEXT_COLOR = "#1F2328"  # every chart's text: dark on white (about 16:1), never the theme's grey
GRID_COLOR = "#D0D4D9"
FONT_SIZE = 15  # the app: ticks, legends, hover
TITLE_SIZE = 20
BIG_FONT_SIZE = 22  # the projector and static images: read from the back of a meeting room
BIG_TITLE_SIZE = 30
SCREEN_NUMBER_PX = 72  # the projector's figures (CSS pixels)
PHONE_MAX_PX = 640  # a browser window narrower than this (CSS pixels) gets the phone layout
PHONE_FONT_SIZE = 12  # a phone's chart type: ticks, legends, values
PHONE_TITLE_SIZE = 15
SCREEN_LABEL_PX = 28  # the projector's labels, unit, period and coverage


def excel_rgb(color: str) -> str:
    """'#C8102E' -> 'C8102E', as openpyxl takes colours."""
    return color.lstrip("#").upper()

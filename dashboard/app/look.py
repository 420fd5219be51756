"""The app's own CSS: what Streamlit's theme cannot say.

- every page: Streamlit's file uploader writes its button and its limits in English ("Upload",
  "10MB per file • XLSX ..."); they are hidden and our text (dashboard/text/) is shown in their
  place, with the importer's real limit;
- printing any page (`@media print`): no sidebar, header, toolbar, picker, button or expander
  head; the page on A4 landscape, scaled so charts drawn for the screen fit the paper;
- the projector page (`screen_css`): no sidebar, header or toolbar, large type;
- a phone (under PHONE_MAX_PX, `@media`): the headline cards two to a row, each card's coverage on
  one line inside it, less padding, smaller page titles; nothing wider than the screen (a table
  scrolls inside its own box).  The charts' phone copies are made on the server (charts.compact).

Text going into CSS passes `css_string`, so no text can close the rule or the style element.
"""

from __future__ import annotations

from dashboard.output.style import PHONE_MAX_PX, PARTY_RED, SCREEN_LABEL_PX, SCREEN_NUMBER_PX, TEXT_COLOR

PRINT_ZOOM = 0.7  # a chart drawn 1,490 px wide on screen still fits A4 landscape's ~1,047 px
HIDDEN_IN_PRINT = (
    "[data-testid='stSidebar']", "[data-testid='stSidebarCollapsedControl']", "[data-testid='stHeader']",
    "[data-testid='stToolbar']", "[data-testid='stDecoration']", "[data-testid='stStatusWidget']",
    "[data-testid='stDownloadButton']", "[data-testid='stButton']", "[data-testid='stPageLink']",
    "[data-testid='stSelectbox']", "[data-testid='stMultiSelect']", "[data-testid='stRadio']",
    "[data-testid='stCheckbox']", "[data-testid='stTextInput']", "[data-testid='stFileUploader']",
    "[data-testid='stSegmentedControl']", "[data-testid='stElementToolbar']", ".modebar-container",
    "[data-testid='stToast']", "[data-testid='stExpander'] summary",
)


def css_string(text: str) -> str:
    """`text` as a CSS string literal: quotes, backslashes, line breaks and < escaped."""
    out = []
    for ch in str(text):
        if ch in '"\\<>' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def page_css(upload_button: str, upload_limits: str, tree_limits: str = "") -> str:
    """The style element every page carries (`tree_limits`: what the 组织架构 page's uploader takes)."""
    hidden = ",\n    ".join(HIDDEN_IN_PRINT)
    return f"""<style>
[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p {{ font-size: 0; }}
[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after {{
  content: {css_string(upload_button)}; font-size: 0.875rem; }}
[data-testid='stFileUploaderDropzoneInstructions'] span {{ font-size: 0; }}
[data-testid='stFileUploaderDropzoneInstructions'] span::after {{
  content: {css_string(upload_limits)}; font-size: 0.875rem; }}
.st-key-org_file [data-testid='stFileUploaderDropzoneInstructions'] span::after {{
  content: {css_string(tree_limits or upload_limits)}; }}
[data-testid='stDownloadButton'] button p {{ white-space: nowrap; }}
@media (max-width: {PHONE_MAX_PX - 0.02}px) {{
  [data-testid='stMainBlockContainer'] {{ padding: 3.2rem 0.75rem 2rem 0.75rem !important; }}
  [data-testid='stMainBlockContainer'] h1 {{ font-size: 1.75rem; padding: 0.25rem 0 0.5rem 0; }}
  [data-testid='stMainBlockContainer'] h2, [data-testid='stMainBlockContainer'] h3 {{ font-size: 1.2rem; }}
  [class*='st-key-headline_cards'] [data-testid='stHorizontalBlock'] {{ flex-wrap: nowrap !important; gap: 0.5rem !important; }}
  [class*='st-key-headline_cards'] [data-testid='stColumn'] {{ min-width: 0 !important; width: 50% !important;
    flex: 1 1 0 !important; }}
  [class*='st-key-headline_cards'] [data-testid='stVerticalBlockBorderWrapper'],
  [class*='st-key-headline_cards'] [data-testid='stVerticalBlock'] {{ gap: 0.25rem; }}
  [class*='st-key-headline_cards'] [data-testid='stMetricValue'] {{ font-size: 1.6rem; }}
  [class*='st-key-headline_cards'] [data-testid='stMetricLabel'] p,
  [class*='st-key-headline_cards'] [data-testid='stMetricLabel'] div {{ white-space: normal !important;
    overflow: visible !important; text-overflow: clip !important; }}
  [class*='st-key-headline_cards'] [data-testid='stMetricLabel'] p,
  [class*='st-key-headline_cards'] [data-testid='stMetricDelta'] {{ font-size: 0.8rem; }}
  [class*='st-key-headline_cards'] [data-testid='stMetricDelta'] * {{ white-space: normal !important;
    overflow: visible !important; text-overflow: clip !important; }}
  [class*='st-key-headline_cards'] [data-testid='stCaptionContainer'] p {{ white-space: nowrap; overflow: hidden;
    text-overflow: ellipsis; font-size: 0.75rem; }}
  [class*='st-key-headline_cards'] [data-testid='stMetricDeltaDescription'] p {{ white-space: normal !important;
    overflow: visible !important; }}
  [class*='st-key-headline_cards'] [class*='st-key-source_'] button {{ min-height: 0; padding: 0; }}
  [class*='st-key-headline_cards'] [class*='st-key-source_'] button p {{ font-size: 0.75rem; }}
  [data-testid='stExpander'] summary p {{ white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
  [data-testid='stDataFrame'], [data-testid='stTable'] {{ max-width: 100%; overflow-x: auto; }}
  [data-testid='stMain'] {{ overflow-x: hidden; }}
}}
@page {{ size: A4 landscape; margin: 10mm; }}
@media print {{
  {hidden} {{ display: none !important; }}
  [data-testid='stAppViewContainer'], [data-testid='stMain'] {{ position: static !important; overflow: visible !important; }}
  [data-testid='stMain'], [data-testid='stMainBlockContainer'] {{
    width: 100% !important; max-width: none !important; margin: 0 !important; padding: 0 !important; }}
  [data-testid='stMainBlockContainer'] {{ zoom: {PRINT_ZOOM}; }}
  [data-testid='stPlotlyChart'], [data-testid='stMetric'] {{ break-inside: avoid; }}
  [data-testid='stExpander'] details {{ border: none !important; }}
}}
</style>"""


def screen_css() -> str:
    """The projector page: nothing but the slide, in large type."""
    return f"""<style>
[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stHeader'],
[data-testid='stToolbar'], [data-testid='stDecoration'], [data-testid='stStatusWidget'],
[data-testid='stElementToolbar'], .modebar-container, [data-testid='stToast'] {{ display: none !important; }}
[data-testid='stMainBlockContainer'] {{ padding: 1.5rem 3rem 1rem 3rem !important; max-width: none !important; }}
.st-key-screen_slide h1 {{ font-size: 56px !important; color: {TEXT_COLOR}; padding: 0.2rem 0 0.6rem 0; }}
.st-key-screen_bar {{ background: {PARTY_RED}; border-radius: 8px; padding: 0.9rem 1.6rem !important; }}
.st-key-screen_bar [data-testid='stMarkdownContainer'] {{ margin: 0 !important; }}
.st-key-screen_bar p {{ color: #FFFFFF !important; font-size: {SCREEN_LABEL_PX}px !important; line-height: 1.4;
  margin: 0 !important; }}
.st-key-screen_slide [data-testid='stMetricValue'],
.st-key-screen_slide [data-testid='stMetricValue'] *,
.st-key-screen_slide [data-testid='stMetricValue'] [data-testid='stMarkdownContainer'] p {{ font-size: {SCREEN_NUMBER_PX}px !important; color: {TEXT_COLOR};
  line-height: 1.15 !important; }}
.st-key-screen_slide [data-testid='stMetricLabel'],
.st-key-screen_slide [data-testid='stMetricLabel'] *,
.st-key-screen_slide [data-testid='stMetricLabel'] [data-testid='stMarkdownContainer'] p {{ font-size: {SCREEN_LABEL_PX}px !important; color: {TEXT_COLOR};
  line-height: 1.3 !important; }}
.st-key-screen_slide [data-testid='stMetricDelta'],
.st-key-screen_slide [data-testid='stMetricDelta'] *,
.st-key-screen_slide [data-testid='stMetricDelta'] [data-testid='stMarkdownContainer'] p {{ font-size: {SCREEN_LABEL_PX}px !important; }}
.st-key-screen_slide [data-testid='stMetricDelta'] svg {{ width: {SCREEN_LABEL_PX}px; height: {SCREEN_LABEL_PX}px; }}
.st-key-screen_slide [data-testid='stCaptionContainer'] p,
.st-key-screen_slide [data-testid='stMarkdownContainer'] p {{ font-size: {SCREEN_LABEL_PX}px !important;
  color: {TEXT_COLOR}; line-height: 1.4; }}
.st-key-screen_slide [data-testid='stMetric'] {{ padding: 0.8rem 1rem; }}
</style>"""

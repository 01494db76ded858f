"""Article extraction: title, main text, publication date, author, canonical URL.

- `article`: :func:`extract_article`, :func:`find_main_text` and :class:`MainText` (a page read
  up to its main text, completed only when kept), :func:`decode_html`;
- `page`: parsing, the head's metadata, and the site's chrome told apart and pruned;
- `maintext`: trafilatura, or the source's body selector, and line cleaning;
- `published`: the publication date; `metadata`: title, author and language.
"""

from crawler.analysis.extract.article import (
    Extracted,
    MainText,
    decode_html,
    extract_article,
    find_main_text,
)

__all__ = ["Extracted", "MainText", "decode_html", "extract_article", "find_main_text"]

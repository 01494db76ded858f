"""Topics, evidence, acting countries and money amounts of a relevant article.

The rules live in `crawler/analysis/lexicons/*.toml` so an analyst can read and extend them;
this package only knows how to apply them. Everything is matched on text folded by
:func:`crawler.text.arabic.normalize` (lexicon entries are folded the same way), while evidence
sentences and amount texts are cut from the original text.

- `lexicon`: the lexicon files read into typed data, in one place;
- `patterns`: lexicon entries as regexes, and the cue-word tests the rules share;
- `sentences`: the article cut into weighted sentences;
- `topics`, `countries`, `amounts`: the three kinds of rules;
- `classifier`: :class:`Classifier`, which puts them together.
"""

from crawler.analysis.classify.classifier import Classification, Classifier
from crawler.analysis.classify.lexicon import Lexicon, LexiconError
from crawler.analysis.classify.patterns import compile_entry, entry_regex

__all__ = [
    "Classification",
    "Classifier",
    "Lexicon",
    "LexiconError",
    "compile_entry",
    "entry_regex",
]

"""The Arabic names of the countries the gazetteer knows, for showing a stored country.

Articles store countries by their English short name; the gazetteer
(``lexicons/countries.toml``) lists each country's Arabic names, the usual one first.
"""

from __future__ import annotations

from functools import cache

from crawler.analysis.classify.lexicon import CountryLexicon, read_lexicon_file


@cache
def arabic_country_names() -> dict[str, str]:
    """English short name -> the gazetteer's first Arabic name ("Turkey" -> "تركيا")."""
    gazetteer = CountryLexicon.read(read_lexicon_file("countries"))
    return {c.name: c.names[0] for c in gazetteer.countries if c.names}


def arabic_country_name(country: str) -> str:
    """The Arabic name of a stored country; a country the gazetteer lacks keeps its name."""
    return arabic_country_names().get(country, country)

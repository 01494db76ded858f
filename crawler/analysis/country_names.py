"""The Arabic names of the countries the gazetteer knows, for showing a stored country.

Articles store countries by their English short name; the gazetteer
(``lexicons/countries.toml``) lists each country's Arabic names, the usual one first.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files


@cache
def arabic_country_names() -> dict[str, str]:
    """English short name -> the gazetteer's first Arabic name ("Turkey" -> "تركيا")."""
    text = files("crawler.analysis.lexicons").joinpath("countries.toml").read_text("utf-8")
    return {c["name"]: c["names"][0] for c in tomllib.loads(text)["country"] if c.get("names")}


def arabic_country_name(country: str) -> str:
    """The Arabic name of a stored country; a country the gazetteer lacks keeps its name."""
    return arabic_country_names().get(country, country)

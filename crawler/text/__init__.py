"""Text, pure and without I/O: the one Arabic fold (`arabic`), dates written in Arabic and
written by machines (`dates`, its words in `datewords`), URLs (`urls`), the search form
(`searchform`) and `css:`/`xpath:` selectors (`selectors`). Imports nothing else of Marsad's."""

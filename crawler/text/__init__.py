"""Text, pure and without I/O: the one Arabic fold (`arabic`), dates written in Arabic and
written by machines (`dates`, its words in `datewords`), URLs (`urls`), the search form
(`searchform`), `css:`/`xpath:` selectors (`selectors`), and text as people see it in alerts and
on the web page (`display`: one line, safe links, UTC dates, labels, highlighted pieces).
Imports nothing of Marsad's but `crawler.vocab`."""

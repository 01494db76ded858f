"""Arabic text: the one fold (`arabic`), dates (`dates`), URLs (`urls`), and text as people
see it in alerts and on the web page (`display`: one line, safe links, UTC dates, labels,
highlighted pieces). No I/O."""

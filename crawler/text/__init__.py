"""Arabic text: the one fold (`arabic`), dates (`dates`), URLs (`urls`). No I/O."""

"""Start-up work of a page worker, done once in the fork server that the workers fork from.

:class:`crawler.crawl.workers.PageWorkers` forks its worker processes from a multiprocessing fork
server, which imports the modules in ``crawler.crawl.workers.PRELOAD`` before it forks any worker.
This module is the last of them. Unlike every other module of Marsad, importing it does work,
and it is imported nowhere else: what it builds is the same for every crawl and never
changes, so each worker inherits it from the fork server instead of building its own.

- the built-in topic and country lexicons (:meth:`crawler.analysis.classify.Classifier.builtin`);
- trafilatura's justext stoplist, which trafilatura otherwise builds, from every language's
  word list, on the first page that needs its fallback extractor.
"""

from __future__ import annotations

import trafilatura.external

from crawler.analysis.classify import Classifier

Classifier.builtin()
# trafilatura's internals: if a release renames them, the workers build the list themselves.
if getattr(trafilatura.external, "JT_STOPLIST", ()) is None:
    trafilatura.external.jt_stoplist_init()

"""The crawl: the child process and its parent's watch (run, watch), the pass over one page
(pages) in-process or in worker processes (workers), the item pipeline, middlewares, download
handlers, and source checks."""

"""The crawl child: Scrapy run, pipelines, middlewares, the page worker pool, source checks."""

"""Why a node cannot join its cluster: importable without Redis installed."""


class ClusterError(Exception):
    """The node cannot join the cluster; phrased for the operator."""


class NodeAlreadyRunning(ClusterError):
    pass


# Redis and scrapy-redis are the `cluster` extra: a node without them says so.
MISSING_REDIS = "cluster.redis_url: cluster mode needs Redis support: pip install 'marsad[cluster]'"

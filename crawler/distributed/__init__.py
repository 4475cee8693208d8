"""A crawl shared by several processes through Redis (REDIS_URL): frontier, leases, global politeness, the end."""

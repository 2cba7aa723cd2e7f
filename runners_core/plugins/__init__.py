"""Plugin discovery, the typed hook facade and the service registry."""

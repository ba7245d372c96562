"""FastAPI pieces every service uses: RFC 9457 problem details and health probes."""

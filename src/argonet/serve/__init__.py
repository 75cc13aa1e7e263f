"""The web front end (``argonet serve``): run index, job queue, pages and JSON API."""

"""The JSON API under ``/api/v1`` and the C2SP tlog-tiles read endpoints under ``/tlog``."""

"""The server-rendered console: Jinja2 templates, no JavaScript, no CDN."""

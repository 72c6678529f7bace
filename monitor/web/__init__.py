"""The web console (``monitor web``): FastAPI app, JSON API, Atom feeds, pages over one service
layer; see WEB_CONTRACT.md and docs/web.md."""

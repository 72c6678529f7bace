"""Stories: the pure decision of what a fetched article is (new, a copy, an edit…).

No database here: :mod:`monitor.db.stories` applies a :class:`~monitor.stories.decide.Decision`.
"""

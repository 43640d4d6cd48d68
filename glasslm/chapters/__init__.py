"""The guide's chapters, one folder each (prose, API router, front-end module)."""

"""Microdermabrasion training and certification platform: the domain package.

Nothing in this package imports streamlit except `modules/pages/`, so the domain is tested with plain pytest.
"""

"""Streamlit views: UI only, each page checks the role itself and calls the domain."""

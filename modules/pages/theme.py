"""What every page looks like beyond `.streamlit/config.toml`: titles that fit a phone, and a menu that folds away
after a choice wherever it covers the page. app.py applies it on every run, for every page.

The colours live in config.toml's [theme] (its textColor keeps Streamlit's grey captions at WCAG AA contrast).
"""

from __future__ import annotations

import streamlit as st

# A title wraps between words only. At Streamlit's 2.75rem "Microdermabrasion" is wider than a phone, so the browser
# split it mid-word; below about 700px wide the size follows the window so the longest word fits. overflow-wrap
# stays as the last resort for a word no width can hold, so nothing ever scrolls sideways.
TITLE_CSS = """<style>
[data-testid="stMain"] [data-testid="stHeading"] h1 {
  font-size: clamp(1.6rem, 1rem + 4vw, 2.75rem);
  word-break: normal;
  overflow-wrap: break-word;
  hyphens: manual;
}
</style>"""

# Streamlit folds the menu away after a choice only when the user agent says "phone"; a narrow window, a tablet or
# a phone in "desktop site" mode kept it open over the page. After a menu choice, if the menu still overlaps the page
# (it does only when the window is too narrow for both), press its own Collapse button: Streamlit then remembers
# the menu as folded. Run once per tab (the script is re-sent on every rerun).
MENU_FOLDS_AFTER_CHOICE = """<script>
(() => {
  if (window.menuFoldsAfterChoice) return;
  window.menuFoldsAfterChoice = true;
  const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
  document.addEventListener("click", (event) => {
    if (!event.target.closest('[data-testid="stSidebarNav"] a')) return;
    const menu = byTestId("stSidebar"), page = byTestId("stMain");
    if (!menu || !page) return;
    const coversPage = menu.getBoundingClientRect().right > page.getBoundingClientRect().left + 1;
    if (!coversPage) return;
    // After Streamlit's own handler: on a phone's user agent it has folded the menu already.
    setTimeout(() => {
      if (menu.getAttribute("data-collapsed") === "false") {
        byTestId("stSidebarCollapseButton")?.querySelector("button")?.click();
      }
    });
  }, true);
})();
</script>"""


def style() -> None:
    """The page-wide style, on every run (style only: Streamlit puts it where it takes no room on the page)."""
    st.html(TITLE_CSS)


def menu_folds_after_choice() -> None:
    """Call inside `st.sidebar`, last, when the menu is shown (someone is signed in)."""
    st.html(MENU_FOLDS_AFTER_CHOICE, unsafe_allow_javascript=True)

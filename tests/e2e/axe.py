"""axe-core (pinned in package.json, installed by `npm ci` into node_modules/) run inside a page of the app.

The check is WCAG 2.2 AA as axe tags it; a violation of impact "serious" or "critical" fails. The few that come from
Streamlit's own rendering, which no app can change, are listed in STREAMLIT_OWN: each by rule and by the exact
elements it may excuse, never a whole rule or a whole page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}


@dataclass(frozen=True)
class Excused:
    rule: str
    selector: str  # the offending element must match this for the violation to be excused
    why: str


STREAMLIT_OWN = [
    # st.navigation with sections renders <ul data-testid="stSidebarNavItems"> holding one <div> per section, each
    # with its header and the <li> links: a <div> directly in a <ul>, and <li>s whose parent is that <div>.
    # Sections are how the menu groups Study / Certification / Trainer / Manager; the markup is Streamlit's.
    Excused("list", '[data-testid="stSidebarNavItems"]', "Streamlit's sectioned menu: <div> inside <ul>"),
    Excused("listitem", '[data-testid="stSidebarNavItems"] > div > li', "Streamlit's sectioned menu: <li> in <div>"),
    # A disabled widget's label is drawn in Streamlit's faded grey. WCAG 1.4.3 exempts text of an inactive control;
    # axe cannot tell, because Streamlit's <label disabled> is not tied to the disabled input by for=.
    Excused("color-contrast", 'label[data-testid="stWidgetLabel"][disabled] *',
            "label of a disabled widget (WCAG 1.4.3: inactive components are exempt)"),
    # st.date_input is react-aria's date field: day, month and year are separate 18x20px spin buttons inside one
    # 40px-high field. Their size is Streamlit's; the field as a whole is the large target and typing works in it.
    Excused("target-size", '[data-testid="stDateInput"] [role="spinbutton"]',
            "Streamlit's date field segments (day / month / year)"),
]

# Streamlit draws some elements (a lesson's diagrams) after the run reports finished: check once the page has stopped
# changing for a moment (capped, so a page that keeps animating is still checked).
_QUIET = """() => new Promise(resolve => {
    let timer;
    const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, 400); });
    const done = () => { observer.disconnect(); clearTimeout(cap); resolve(); };
    const cap = setTimeout(done, 8000);
    observer.observe(document.body, {childList: true, subtree: true, attributes: true});
    timer = setTimeout(done, 400);
})"""

# One round trip: axe's violations, each node marked excused or not by the list above.
_RUN = """async ({tags, excused}) => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    const element = target => {
        try { return document.querySelector(Array.isArray(target) ? target[target.length - 1] : target); }
        catch (error) { return null; }
    };
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => {
            const found = element(n.target[0]);
            return {target: n.target.join(' '), html: n.html.slice(0, 160),
                    excused: !!found && excused.some(e => e.rule === v.id && found.matches(e.selector))};
        }),
    }));
}"""


def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        message = f"{AXE_SCRIPT} is missing: run `npm ci` (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SCRIPT.read_text()


def violations(page: Page, where: str) -> list[str]:
    """Every serious or critical WCAG 2.2 AA violation on the page as it is now, one line each, not excused."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluate, not a <script> tag: the sign-in and certificate pages' CSP allows no script, and needs none
        page.evaluate(axe_source())
    page.evaluate(_QUIET)
    found = page.evaluate(_RUN, {"tags": WCAG_22_AA,
                                 "excused": [{"rule": e.rule, "selector": e.selector} for e in STREAMLIT_OWN]})
    lines = []
    for violation in found:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        for node in violation["nodes"]:
            if not node["excused"]:
                lines.append(f"{where}: {violation['id']} ({violation['impact']}: {violation['help']}) at "
                             f"{node['target']}: {node['html']}")
    return lines

"""`cpo report --html` (issue #16): one self-contained page, opened in a real browser.

Debian's headless Chromium (installed by .ci/run) loads the page from disk with no network: it
must log no console message (no error, no failed fetch), the Plotly charts must be drawn (their
SVG in the DOM after the scripts ran), and a screenshot of the chart area must not be blank.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("report") / "report.html"
    run = CliRunner().invoke(app, ["report", str(EXAMPLES / "openai.yaml"), "--html", str(target),
                                   "--whatif", str(EXAMPLES / "whatif" / "amd-mi450-slip.yaml"),
                                   "--scenarios", str(EXAMPLES / "scenarios" / "openai-risks.yaml")])
    assert run.exit_code == 0, run.output
    return target


def test_the_page_is_self_contained_and_says_what_the_plan_is(page):
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!-- Written by cpo")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", text)  # nothing fetched
    for heading in ("What to sign in 2026", "Vendor mix over time", "Deals", "Binding constraints", "Resilience",
                    "What-ifs", "Under uncertainty", "The catalog figures this plan rests on"):
        assert heading in text, heading
    assert "$785.59B" in text and "EVPI" in text and "mi450-specs" in text  # the headline and a figure's source
    import json

    made = json.loads(re.search(r"<script type='application/json' id='cpo-manifest'>(.*?)</script>", text).group(1))
    assert made["argv"] and made["options"]["command"] == "report" and "amd-mi450-slip.yaml" in json.dumps(made)


def test_a_user_file_at_the_target_is_never_replaced(tmp_path):
    mine = tmp_path / "board.html"
    mine.write_text("<html>mine</html>")
    run = CliRunner().invoke(app, ["report", str(EXAMPLES / "small-lab.yaml"), "--html", str(mine)])
    assert run.exit_code == 1 and mine.read_text() == "<html>mine</html>"


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--virtual-time-budget=10000", *args], capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_headless_chromium_draws_every_chart_with_no_console_message(page, tmp_path):
    dom = _chromium("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not [line for line in dom.stderr.splitlines() if ":CONSOLE" in line], dom.stderr[-2000:]
    assert dom.stdout.count('class="main-svg"') >= 4  # mix, cost, what-ifs (Plotly draws two SVG layers each)
    shot = tmp_path / "report.png"
    _chromium("--window-size=1200,2600", f"--screenshot={shot}", page.as_uri())
    from PIL import Image

    with Image.open(shot) as image:
        chart = image.convert("L").crop((40, 700, 1160, 1100))  # the vendor-mix chart, below the headline tables
        histogram = chart.histogram()
        dark = sum(histogram[:200]) / (chart.width * chart.height)
    assert dark > 0.05, f"the chart area is blank ({dark:.1%} drawn)"


def test_hostile_names_and_file_names_are_text_on_the_page(tmp_path):
    """A scenario name, a what-if description and a what-if file name holding markup stay text:
    escaped in the HTML, in the charts' JSON and in the manifest (where `<!--<script>` would
    otherwise leave the JSON block open)."""
    import json

    config = tmp_path / "evil.yaml"
    config.write_text((EXAMPLES / "small-lab.yaml").read_text()
                      .replace("name: Small lab 2026-2030", 'name: "Lab </script><script>alert(1)</script>"')
                      .replace("catalog_dir: ../vendors", f"catalog_dir: {EXAMPLES.parent / 'vendors'}"))
    whatif = tmp_path / "<!--<script><img src=x onerror=alert(2)>.yaml"
    whatif.write_text('description: "</script><script>alert(3)</script>"\n'
                      "changes:\n  - scale: workloads.*.demand\n    by: 2\n")
    target = tmp_path / "evil.html"
    run = CliRunner().invoke(app, ["report", str(config), "--html", str(target), "--whatif", str(whatif)])
    assert run.exit_code == 0, run.output
    text = target.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text and "<!--<script>" not in text
    assert "Lab &lt;/script&gt;&lt;script&gt;alert(1)" in text
    made = json.loads(re.search(r"<script type='application/json' id='cpo-manifest'>(.*?)</script>", text).group(1))
    assert whatif.name in json.dumps(made, ensure_ascii=False)

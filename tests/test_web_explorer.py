"""The static pages' live decoder: the JavaScript decodes what the library decodes, and the page's
controls redraw the image as a reader moves them (headless Chromium, Playwright)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vsc_lib.config import ModelConfig
from vsc_lib.models import build_model
from vsc_lib.web_explorer import explorer_data, explorer_html

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from check_html import launch  # noqa: E402

SCRIPT = ROOT / "book" / "_explorer" / "explorer" / "explorer.js"


def _model(likelihood="bernoulli", input_shape=(1, 28, 28)):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="vsc", latent_dim=6, hidden_dim=16, likelihood=likelihood), input_shape)
    return model.eval()


def _codes():
    g = torch.Generator().manual_seed(1)
    codes = torch.randn(3, 6, generator=g)
    codes[:, 3:] = 0.0  # three dimensions off
    return codes


def _expected(model, z):
    with torch.no_grad():
        return model.output_image(model.decode(torch.as_tensor(z, dtype=torch.float32)[None]))[0, 0].flatten().numpy()


def _page(tmp_path, model, names=None):
    data = explorer_data(model, _codes(), ["first", "second", "third"], names=names)
    (tmp_path / "explorer").mkdir()
    shutil.copy(SCRIPT, tmp_path / "explorer" / "explorer.js")
    page = tmp_path / "page.html"
    page.write_text("<html><body>" + explorer_html(data, "vsc-test", "test explorer") + "</body></html>")
    return page, data


def _open(playwright, page):
    browser = launch(playwright)
    tab = browser.new_page()
    tab.goto(page.as_uri())
    tab.wait_for_selector("canvas.vsc-explorer-image")
    return browser, tab


def _drawn(tab):
    return np.array([float(v) for v in tab.get_attribute("canvas.vsc-explorer-image", "data-pixels").split(",")])


@pytest.mark.parametrize("likelihood", ["bernoulli", "normalised_gaussian"])
def test_the_javascript_decoder_matches_the_library(tmp_path, likelihood):
    from playwright.sync_api import sync_playwright

    model = _model(likelihood)
    page, data = _page(tmp_path, model)
    with sync_playwright() as playwright:
        browser, tab = _open(playwright, page)
        for example in data["examples"]:
            got = np.array(tab.evaluate("([d, z]) => Array.from(VSCExplorer.decode(d, VSCExplorer.network(d), z))",
                                        [data, example["code"]]))
            assert np.abs(got - _expected(model, example["code"])).max() < 1e-3
        browser.close()


def test_toggles_and_sliders_redraw_the_decoded_image(tmp_path):
    from playwright.sync_api import sync_playwright

    model = _model()
    page, data = _page(tmp_path, model, names={0: "stroke"})
    code = list(data["examples"][0]["code"])
    with sync_playwright() as playwright:
        browser, tab = _open(playwright, page)
        assert np.abs(_drawn(tab) - _expected(model, code)).max() < 1e-3  # the first example as loaded
        assert "z0 (stroke)" in tab.inner_text(".vsc-explorer-controls")
        before = _drawn(tab)
        dim = data["examples"][0]["dims"][0]
        tab.click(f'input[aria-label="dimension {dim} on"]')  # switch its spike off
        code[dim] = 0.0
        after = _drawn(tab)
        assert np.abs(after - before).max() > 1e-3 and np.abs(after - _expected(model, code)).max() < 1e-3
        tab.click(f'input[aria-label="dimension {dim} on"]')  # on again, then move its slider
        tab.fill(f'input[aria-label="dimension {dim} value"]', "2.5")
        code[dim] = 2.5
        moved = _drawn(tab)
        assert np.abs(moved - _expected(model, code)).max() < 1e-3
        tab.select_option("select.vsc-explorer-example", "2")
        assert np.abs(_drawn(tab) - _expected(model, data["examples"][2]["code"])).max() < 1e-3
        browser.close()


def test_the_export_refuses_what_the_page_cannot_decode():
    conv = build_model(ModelConfig(kind="vsc", body="conv", latent_dim=6))
    with pytest.raises(ValueError, match="MLP decoders"):
        explorer_data(conv, torch.zeros(1, 6), ["a"])
    with pytest.raises(ValueError, match=r"need codes \(E, 6\)"):
        explorer_data(_model(), torch.zeros(2, 5), ["a", "b"])
    with pytest.raises(ValueError, match="element_id"):
        explorer_html({}, "Bad id", "t")


def test_page_explorer_offers_group_dimensions_first_and_the_examples_own():
    import json
    import re

    from vsc_lib.web_explorer import page_explorer

    model = _model()
    x = torch.rand(2, 1, 28, 28)
    html = page_explorer(model, x, ["a", "b"], "vsc-x", "t", groups={"hat": [5, 4], "tie": [1]}, limit=4)
    data = json.loads(re.search(r'id="vsc-x-data">(.*?)</script>', html, re.S).group(1))
    with torch.no_grad():
        gated = model.code(x, "gated")
    for example, code in zip(data["examples"], gated, strict=True):
        assert example["dims"][:3] == [5, 1, 4] and len(example["dims"]) <= 4  # the groups in turn
        assert example["code"] == pytest.approx(code.tolist(), abs=1e-6)
    assert data["names"] == {"5": "hat", "4": "hat", "1": "tie"}
    vae = build_model(ModelConfig(kind="vae", latent_dim=6, hidden_dim=16))
    with pytest.raises(ValueError, match="the page's explorer needs a spike-and-slab model"):
        page_explorer(vae, x, ["a", "b"], "vsc-y", "t")


def test_the_html_check_uses_the_explorer_and_names_what_is_wrong(tmp_path):
    import base64
    import json

    import check_html
    from playwright.sync_api import sync_playwright

    model = _model()
    page, data = _page(tmp_path, model)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        assert check_html.explorer_problems(browser, page, "page", tmp_path) == []
        assert (tmp_path / "page-vsc-test-before.png").is_file() and (tmp_path / "page-vsc-test-after.png").is_file()
        # a page whose decoder draws something else than its data says
        tab = browser.new_page()
        tab.goto(page.as_uri())
        wrong = dict(data, b2=base64.b64encode(np.full(784, 3.0, dtype="<f4").tobytes()).decode())
        tab.evaluate("t => { document.getElementById('vsc-test-data').textContent = t; }", json.dumps(wrong))
        found = check_html.use_explorer(tab, tab.query_selector("div.vsc-explorer"), "page", None)
        assert found and all("differ from the decoder" in f for f in found)
        # a page whose script is missing
        (tmp_path / "explorer" / "explorer.js").unlink()
        missing = check_html.explorer_problems(browser, page, "page", None)
        assert missing == ["page: explorer vsc-test did not start (no image drawn)"]
        browser.close()

"""Open pages in headless Chromium (Debian's, through playwright-python) with the network cut
off: every request that is not to a file or to this machine (127.0.0.0/8, localhost, [::1])
is aborted and counted, and console errors and uncaught exceptions are collected.

    with chromium() as browser, open_page(browser, path_or_url) as session:
        session.page.evaluate(...)
        assert session.blocked == [] and session.errors == []

Page tests also take screenshots (:func:`screenshot`): into a temporary folder in
``make test``, into ``docs/img/`` (the README's pictures) in ``make screenshots``.
"""

from __future__ import annotations

import ipaddress
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Route, sync_playwright

CHROMIUM = os.environ.get("RIPPLE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("RIPPLE_SCREENSHOTS")  # set by `make screenshots` to docs/img
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_SCHEMES = {"file", "data", "blob", "about"}


def is_local(url: str) -> bool:
    """A file, data or blob URL, or one whose host is this machine."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    host = (parts.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Reads the traces of a plotly graph div, decoding the typed arrays plotly.py sends as
# {dtype, bdata} (base64) into plain arrays.
TRACES_JS = """(id) => {
  const types = {f8: Float64Array, f4: Float32Array, i1: Int8Array, i2: Int16Array, i4: Int32Array,
                 u1: Uint8Array, u2: Uint16Array, u4: Uint32Array};
  const plain = (v) => {
    if (v === undefined || v === null) return null;
    if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v);
    if (typeof v === 'object' && typeof v.bdata === 'string') {
      const bin = atob(v.bdata), bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return Array.from(new types[v.dtype](bytes.buffer));
    }
    return v;
  };
  return document.getElementById(id).data.map((t) => ({
    meta: t.meta === undefined ? null : t.meta, name: t.name === undefined ? null : t.name, type: t.type || 'scatter',
    x: plain(t.x), y: plain(t.y), text: plain(t.text), hovertext: plain(t.hovertext), customdata: plain(t.customdata),
    symbol: t.marker ? plain(t.marker.symbol) : null,
    error_plus: t.error_x ? plain(t.error_x.array) : null, error_minus: t.error_x ? plain(t.error_x.arrayminus) : null,
  }));
}"""


def plotly_traces(page: Page, div_id: str) -> list[dict]:
    """The traces drawn in the plotly graph ``div_id``: meta, name, type, x, y, text,
    hovertext, customdata, marker symbol and error bars, as plain lists."""
    return page.evaluate(TRACES_JS, div_id)


def screenshot(page: Page, name: str, fallback: Path, full_page: bool = False) -> Path:
    """Save a PNG of ``page`` as ``name``.png in ``$RIPPLE_SCREENSHOTS`` when set, else in
    ``fallback`` (a test's temporary folder), and return its path."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else fallback
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@dataclass
class Session:
    """An open page and what it tried to do."""

    page: Page
    blocked: list[str] = field(default_factory=list)   # non-local requests, aborted
    errors: list[str] = field(default_factory=list)    # console errors and uncaught exceptions


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium from the system's package (never a downloaded browser build)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)", pytrace=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(browser: Browser, target: str | Path, width: int = 1500, height: int = 950,
              wait_until: str = "load", timeout_ms: float = 30_000) -> Iterator[Session]:
    """Open ``target`` (a file path or a URL) in a fresh context with the network cut off."""
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    page = context.new_page()
    session = Session(page)

    def route(r: Route, request: Request) -> None:
        if is_local(request.url):
            r.continue_()
        else:
            session.blocked.append(request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    page.on("console", lambda msg: session.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: session.errors.append(f"exception: {exc}"))
    url = target.resolve().as_uri() if isinstance(target, Path) else target
    try:
        page.goto(url, wait_until=wait_until, timeout=timeout_ms)
        yield session
    finally:
        context.close()

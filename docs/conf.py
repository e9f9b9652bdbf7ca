"""
Sphinx configuration of txsctp's documentation.

Build it with warnings as errors (what tests/test_docs.py does)::

    .venv/bin/sphinx-build -W --keep-going -n -b html docs docs/_build/html

The pages are Markdown (MyST); the API reference under C{api/} is generated
from the epytext docstrings by pydoctor during the same build
(docs/_ext/txsctp_apidocs.py), and its warnings fail the build too.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))
sys.path.insert(0, os.path.dirname(HERE))

import txsctp  # noqa: E402  (cheap: no cffi, no reactor)

project = "txsctp"
author = "txsctp developers"
copyright = "txsctp developers"
release = version = txsctp.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.intersphinx",
    "txsctp_apidocs",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
nitpicky = True

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Inventories are generated locally by txsctp_apidocs (no network needed).
intersphinx_mapping = {}

html_theme = "alabaster"
html_title = f"txsctp {release}"
html_static_path = []

# Pages other engineers own, listed in the index once they exist.
OPTIONAL_PAGES = ["benchmarks"]

txsctp_api_package = "../txsctp"
txsctp_api_known_warnings = [
    (r'Class "txsctp\.interfaces\.\w+" is not an interface',
     "pydoctor cannot see that a zope Interface derived from an external one "
     "(twisted's IListeningPort) is an interface"),
]

# Docstring problems reported to the modules' owners (see
# docs/_ext/txsctp_apidocs.py): shown in the build output, not failing it.
# Remove an entry once its fix has landed.
txsctp_api_pending_fixes = []


def _dropMissingPages(app, docname, source):
    if docname != root_doc:
        return
    for page in OPTIONAL_PAGES:
        if not os.path.exists(os.path.join(HERE, page + ".md")):
            source[0] = source[0].replace(f"\n{page}\n", "\n")


def setup(app):
    app.connect("source-read", _dropMissingPages)

"""The crawler's title rules are the project's one set: :mod:`extract.titles`.

Kept as a module so ``from crawler import titles`` (spider, CMS helpers) reads the same
functions the extractor uses: :func:`parse_report_title`, :func:`is_report_title`,
:func:`is_report_column`, :func:`is_sub_column`, :func:`is_hub`, :func:`is_next_page`.
"""
from extract.titles import *  # noqa: F401,F403

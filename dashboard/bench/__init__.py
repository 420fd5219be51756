"""The benchmark (`python -m dashboard bench`), its plain-pandas baselines and its reference app.

Imported by nothing in the product (the command line loads it by name when asked); it may
import anything in the product, and Playwright (a development dependency).
"""

"""The web demo: :mod:`ganzoo.demo.service` does the work (no gradio), :mod:`ganzoo.demo.app` draws the page.

Importing this package imports neither torch nor gradio.
"""

"""A third-party metric whose ``compute`` has a bug (torch-free hooks); its code is in ganzoo_fake_pixels_code."""

from ganzoo.plugin import hookimpl


@hookimpl
def register_metrics(register):
    register("broken-gap", "ganzoo_fake_pixels_code:BrokenGap", summary="A metric whose compute has a bug",
             metadata={"outputs": ["BrokenGap"]})

"""Acupuncture: the WHO acupoint catalog, proportional-cun placement on a body, meridian
paths on the skin, and needling against the anatomy beneath. Plain Python and numpy."""

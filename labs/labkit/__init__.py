"""vmlab's course-lab kit: the lab registry, the marked solution regions and the graders.

`vmlab lab ...` runs labs/lab.py, which uses this package (docs/labs.md). Python 3 with
the standard library only.
"""

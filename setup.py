"""Build of the optional compiled kernel; everything else is in setup.cfg.

``geoverify.engine._segtree`` (nearest-segment queries, :mod:`geoverify.engine.lines`) is
compiled where a C compiler and the Python headers are present. Where it cannot be built the
install goes on, and the same queries run in NumPy (same answers, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "geoverify.engine._segtree",
            ["geoverify/engine/_segtree.c"],
            # the same floating-point operations as the NumPy reference, bit for bit
            extra_compile_args=["-O2", "-ffp-contract=off"],
            optional=True,
        )
    ]
)

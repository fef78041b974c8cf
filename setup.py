"""Build of the optional compiled helpers; everything else is in setup.cfg.

``geoverify.engine._segtree`` (nearest-segment queries, :mod:`geoverify.engine.lines`) and
``geoverify._text`` (text columns and CSV records, :mod:`geoverify.arrowtext`) are compiled
where a C compiler and the Python headers are present. Where they cannot be built the
install goes on, and the same work runs in NumPy and pyarrow (same answers, slower).
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
        ),
        Extension("geoverify._text", ["geoverify/_text.c"], extra_compile_args=["-O2"],
                  optional=True),
    ]
)

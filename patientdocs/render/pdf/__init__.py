"""reportlab output.

reportlab imports uharfbuzz (HarfBuzz, 12-30 ms) as soon as its TrueType module loads, whether
or not anything is shaped. A stand-in module is registered first; it imports the real one on
first use, which happens only when a paragraph in Arabic, Devanagari, Thai and the like is
shaped (see shaping.py), so English documents do not pay for it. (importlib's LazyLoader does
not help here: a second ``import`` of a lazy module loads it at once.)
"""

import importlib
import importlib.util
import sys
import types


class _Deferred(types.ModuleType):
    def __getattr__(self, attr: str):  # called only for names the stand-in does not have
        real = self.__dict__.get("_real")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = self._real = importlib.import_module(self.__name__)
        return getattr(real, attr)


def _defer(name: str) -> None:
    if name not in sys.modules and importlib.util.find_spec(name) is not None:
        sys.modules[name] = _Deferred(name)


_defer("uharfbuzz")

# Every module of this package draws with reportlab's platypus or sits beside one that does:
# import it here, once, with the patterns it never uses left uncompiled (lazypatterns.py).
from patientdocs.render.pdf.lazypatterns import import_platypus  # noqa: E402 (after the deferral above)

import_platypus()

# License: BSD 3 clause
"""Docstring entries written once and filled into several docstrings.

The model is imbalanced-learn's ``Substitution`` decorator
(``imblearn/utils/_docstring.py``): a class docstring holds a field
``%(name)s`` where a shared block of entries goes, and the decorator fills it.
"""

import re
import textwrap

__all__ = ["Substitution"]

# A field alone on its line: the block replaces the whole line.
_FIELD = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


class Substitution:
    """Decorator that fills the ``%(name)s`` fields of a docstring.

    Each field stands alone on its line, indented as the entries around it;
    the block given for it (numpydoc entries written at column 0) is
    re-indented to that indentation, so that a block reads the same in every
    docstring it is filled into, whatever the indentation the docstring has
    (Python 3.13 strips the common indentation of docstrings, earlier
    versions keep it).

    Parameters
    ----------
    **blocks : str or tuple of str
        The text of each field, by field name; a tuple of blocks (each
        indented as it likes) is joined into one.

    Examples
    --------
    >>> from sewlearn._docstring import Substitution
    >>> @Substitution(shared="tol : float\\n    Tolerance.")
    ... def f(tol):
    ...     '''Do.
    ...
    ...     Parameters
    ...     ----------
    ...     %(shared)s
    ...     '''
    >>> print(f.__doc__.rstrip())
    Do.
    <BLANKLINE>
        Parameters
        ----------
        tol : float
            Tolerance.
    """

    def __init__(self, **blocks):
        self.blocks = {
            name: "\n".join(
                textwrap.dedent(part).strip("\n")
                for part in ((block,) if isinstance(block, str) else block)
            )
            for name, block in blocks.items()
        }

    def __call__(self, obj):
        if obj.__doc__ is None:  # python -OO
            return obj
        filled = set()

        def fill(match):
            name = match["name"]
            if name not in self.blocks:
                raise KeyError(f"no block for the docstring field %({name})s")
            filled.add(name)
            return textwrap.indent(self.blocks[name], match["indent"])

        obj.__doc__ = _FIELD.sub(fill, obj.__doc__)
        unused = sorted(set(self.blocks) - filled)
        if unused:
            raise KeyError(f"{obj.__qualname__} has no field for {unused}")
        return obj

"""The numerical core: numpy only, no web, no printing. Every demo's maths is
a plain function or class here, usable from a notebook."""

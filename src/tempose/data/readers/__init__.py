"""Dataset readers: each turns one source format into :class:`~tempose.data.store.VideoRecord` s.

A reader is a function ``read(path, **options) -> Iterator[VideoRecord]`` registered in
:data:`FORMATS` under the format's name; :func:`tempose.data.store.write_store` writes what it
yields. Third-party formats plug in through the ``tempose.formats`` entry-point group.
"""

from tempose.registry import Registry

FORMATS = Registry("dataset format", "tempose.formats")

from tempose.data.readers import brace, climbalong, penn_action  # noqa: E402,F401  (register the readers)

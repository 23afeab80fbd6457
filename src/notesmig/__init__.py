"""notesmig: migrate Lotus Notes/Domino applications from DXL exports into SharePoint Online."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("notesmig")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

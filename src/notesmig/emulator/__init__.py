"""A local SharePoint Online that speaks Microsoft Graph v1.0: the rehearsal target.

Same URLs, JSON shapes, status codes, limits, throttling and failures as the real service, so
the real msgraph-sdk runs against it unchanged. See the README for what is and is not emulated.
"""

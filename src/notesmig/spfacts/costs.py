"""SharePoint's resource units: what each request costs against the tenant's per-app budget.

Source: "Avoid getting throttled or blocked in SharePoint Online" (SharePoint/sp-dev-docs,
how-to-avoid-getting-throttled-or-blocked-in-sharepoint-online.md): 1 unit for a single-item
read (and a delta query with a token), 2 for a multi-item read or any create, update, delete or
upload, 5 for any permission operation. Every request inside $batch counts on its own. The
per-minute budget by licence count: 1,200 / 2,400 / 3,600 / 4,800 / 6,000.
"""

from __future__ import annotations

COST_READ = 1
COST_LIST = 2
COST_WRITE = 2
COST_PERMISSION = 5
#: The per-app budget per minute of a tenant with 1,000 to 5,000 licences (the city's band).
DEFAULT_RU_PER_MINUTE = 2_400

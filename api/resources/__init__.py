"""One Blueprint per collection. `MODULES` fixes registration order and the order of the docs'
tags."""

from api.resources import (
    access_channels,
    announcements,
    catalog,
    changes,
    dumps,
    hsds,
    index,
    notice_versions,
    opening_hours,
    organizations,
    services,
    staff_duties,
    status_notices,
    units,
)

MODULES = (
    index,
    units,
    services,
    organizations,
    access_channels,
    status_notices,
    notice_versions,
    opening_hours,
    announcements,
    staff_duties,
    changes,
    dumps,
    catalog,
    hsds,
)

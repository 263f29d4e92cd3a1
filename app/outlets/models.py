from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.clients.scoping import ClientScoped
from app.clock import utcnow
from app.models import BaseModel

OUTLET_TYPES = {
    "daily": _l("Daily newspaper"),
    "weekly": _l("Weekly newspaper"),
    "magazine": _l("Magazine"),
    "trade": _l("Trade press"),
    "online": _l("Online medium"),
    "tv": _l("Television"),
    "radio": _l("Radio"),
    "agency": _l("News agency"),
    "blog": _l("Blog or podcast"),
}


class Outlet(ClientScoped):
    """A medium or organisation that journalists work for. `search_text` is the canonical
    text of its name, city, region, departments and topics that the full-text index is
    built from (app.outlets.services.reindex_outlets keeps it in step; migration 0009)."""

    name = CharField(max_length=200, index=True)
    kind = CharField(max_length=16, default="daily")  # a key of OUTLET_TYPES
    circulation = IntegerField(null=True)  # printed copies
    reach = IntegerField(null=True)  # readers, listeners, viewers or visits
    region = CharField(max_length=120, default="")
    language = CharField(max_length=8, default="de")
    website = CharField(max_length=254, default="")
    email = CharField(max_length=254, default="")
    phone = CharField(max_length=64, default="")
    street = CharField(max_length=200, default="")
    postcode = CharField(max_length=16, default="")
    city = CharField(max_length=120, default="")
    country = CharField(max_length=2, default="DE")  # ISO 3166-1 alpha-2
    notes = TextField(default="")
    origin = CharField(max_length=16, default="manual")  # manual, import, pressbase, api
    origin_file = CharField(max_length=254, default="")
    origin_row = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    search_text = TextField(default="")

    AUDIT_EXCLUDE = ("search_text",)

    def __str__(self):
        return self.name


class OutletDepartment(BaseModel):
    """An editorial department (Ressort) of an outlet: politics, business, culture, …"""

    outlet = ForeignKeyField(Outlet, backref="departments", on_delete="CASCADE")
    name = CharField(max_length=120)

    class Meta:
        indexes = ((("outlet", "name"), True),)

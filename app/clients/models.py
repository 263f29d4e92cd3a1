from peewee import BooleanField, CharField, DateTimeField, TextField

from app.clock import utcnow
from app.models import BaseModel


class Client(BaseModel):
    """A business area, partner or affiliated company; every record will belong to one."""

    name = CharField(max_length=200, unique=True)
    description = TextField(default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name

from peewee import CharField, TextField

from app.models import BaseModel


class Setting(BaseModel):
    key = CharField(max_length=64, primary_key=True)
    value = TextField()  # JSON

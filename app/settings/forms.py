"""The security settings form, built from the setting definitions so that a new setting
appears on the screen without touching it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from app.settings.services import DEFINITIONS


def settings_form_class() -> type[FlaskForm]:
    fields = {}
    for definition in DEFINITIONS.values():
        if isinstance(definition.default, bool):
            fields[definition.key] = BooleanField(definition.label, description=definition.help)
        elif definition.choices is not None:
            fields[definition.key] = SelectField(
                definition.label,
                description=definition.help,
                choices=[SelectChoice(k, v) for k, v in definition.choices().items()],
                validate_choice=True,
            )
        else:
            fields[definition.key] = IntegerField(
                definition.label,
                description=definition.help,
                validators=[
                    InputRequired(message=_l("Please enter a number.")),
                    NumberRange(
                        definition.minimum,
                        definition.maximum,
                        message=_l("Enter a whole number from %(min)s to %(max)s."),
                    ),
                ],
            )
    return type("SettingsForm", (FlaskForm,), fields)

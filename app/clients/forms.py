from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.clients.models import RIGHT_LABELS, RIGHTS


class ClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])


class ConfirmForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


def rights_form(users, current: dict[int, str]) -> FlaskForm:
    """One select per user (`user_<id>`), preset to the user's current right. A user not
    in the submitted form keeps the right shown."""

    class RightsForm(FlaskForm):
        pass

    choices = [SelectChoice(right, RIGHT_LABELS[right]) for right in RIGHTS]
    for user in users:
        setattr(
            RightsForm,
            f"user_{user.id}",
            SelectField(user.name, choices=choices, default=current.get(user.id, "hidden")),
        )
    return RightsForm()


class DefaultClientForm(FlaskForm):
    client = SelectField(_l("Default client"), choices=[], validate_choice=True)

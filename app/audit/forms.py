"""The filter of the audit trail screen, read from the query string so that every state of
the screen is a bookmarkable URL."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SearchField, SelectField
from wtforms.validators import Length, Optional


class AuditFilterForm(Form):
    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    actor = SelectField(_l("User"), choices=[], validate_choice=False)
    target_type = SelectField(_l("Record type"), choices=[], validate_choice=False)
    q = SearchField(_l("Record contains"), validators=[Optional(), Length(max=100)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("The end date lies before the start date."))

"""Forms of the user administration. Only these fields are read from a request."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Form, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.users.models import ROLE_LABELS

RIGHT_LABELS = {
    "may_manage_lists": _l("Lists and mailings"),
    "may_send": _l("Sending"),
}


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    is_administrator = BooleanField(
        ROLE_LABELS["administrator"],
        description=_l("Users, rights, sender accounts, clients, security settings"),
    )
    is_license_manager = BooleanField(
        ROLE_LABELS["license_manager"], description=_l("Subscription, modules and invoices")
    )
    may_manage_lists = BooleanField(_l("May create and delete lists and mailings"))
    may_send = BooleanField(_l("May send mailings"))
    active = BooleanField(
        _l("Active"),
        default=True,
        description=_l("Only active users can sign in; each one takes a licensed named user."),
    )

    def roles(self) -> list[str]:
        names = ["user"]
        if self.is_administrator.data:
            names.append("administrator")
        if self.is_license_manager.data:
            names.append("license_manager")
        return names


class InviteForm(UserForm):
    language = SelectField(
        _l("Language of the invitation"),
        choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")],
        default="de",
        description=_l("Also the language in which the application opens for the new user."),
    )


class ListFilterForm(Form):
    """The filter and order of the user list, read from the query string (a GET changes
    nothing, so there is no CSRF token); unknown values fall back to the defaults."""

    status = SelectField(
        _l("Show"),
        choices=[
            SelectChoice("all", _l("All users")),
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Inactive")),
        ],
        default="all",
    )
    sort = HiddenField(default="name")
    dir = HiddenField(default="asc")

    SORTS = ("name", "email", "active", "last_login")

    def clean(self) -> tuple[str, str, str]:
        """(status, sort, direction), each a known value."""
        if self.status.data not in {choice.value for choice in self.status.choices}:
            self.status.data = "all"
        if self.sort.data not in self.SORTS:
            self.sort.data = "name"
        if self.dir.data != "desc":
            self.dir.data = "asc"
        return self.status.data, self.sort.data, self.dir.data

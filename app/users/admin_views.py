"""User administration (SPEC A1, A2, M9): the list, invitations, changes, deactivation,
reactivation and new one-time passwords. Administrators only."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.admin import sections
from app.auth import lockout
from app.htmx import render
from app.security import administrator_only
from app.users.forms import RIGHT_LABELS, InviteForm, ListFilterForm, UserForm
from app.users.models import User
from app.users.services import (
    UserError,
    active_user_count,
    deactivate_user,
    invite_user,
    named_users_licensed,
    reactivate_user,
    send_new_one_time_password,
    update_user,
)

bp = Blueprint("user_admin", __name__, url_prefix="/admin/users")
sections.register(
    "user_admin.index",
    _l("Users"),
    _l("Invite users, set their roles and rights, deactivate and reactivate them."),
    order=10,
)

ORDER = {
    "name": lambda d: [d(User.name), User.id],
    "email": lambda d: [d(User.email)],
    "active": lambda d: [d(User.active), User.name],
    # users who never signed in come last in both directions
    "last_login": lambda d: [User.last_login_at.is_null(), d(User.last_login_at), User.name],
}


def _licence():
    return {"active_count": active_user_count(), "licensed": named_users_licensed()}


def _user_or_404(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/")
@administrator_only
def index():
    """All users in a dense, sortable list, filtered by active/inactive; the sortable
    table is the htmx partial."""
    filters = ListFilterForm(request.args)
    status, sort, direction = filters.clean()
    query = User.select()
    if status != "all":
        query = query.where(User.active == (status == "active"))
    users = list(query.order_by(*ORDER[sort](lambda f: getattr(f, direction)())))
    return render(
        "users/admin/index.html",
        "users/admin/_table.html",
        users=users,
        filters=filters,
        status=status,
        sort=sort,
        direction=direction,
        right_labels=RIGHT_LABELS,
        list_url=lambda **changes: url_for(
            "user_admin.index", **{"status": status, "sort": sort, "dir": direction, **changes}
        ),
        **_licence(),
    )


def _form_page(template: str, form, status: int, **context):
    return render_template(template, form=form, **_licence(), **context), status


@bp.route("/new", methods=["GET", "POST"])
@administrator_only
def invite():
    """Create a user and e-mail the invitation with a one-time password."""
    form = InviteForm()
    errors = []
    if form.validate_on_submit():
        try:
            user = invite_user(
                form.email.data,
                form.name.data,
                roles=form.roles(),
                may_manage_lists=form.may_manage_lists.data,
                may_send=form.may_send.data,
                language=form.language.data,
                active=form.active.data,
                by=current_user.name,
            )
        except UserError as exc:
            errors = exc.messages
        else:
            if user.active:
                flash(
                    _(
                        "%(name)s has been invited; the invitation is on its way to %(email)s.",
                        name=user.name,
                        email=user.email,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "%(name)s has been created inactive; the invitation will be sent on "
                        "reactivation.",
                        name=user.name,
                    ),
                    "success",
                )
            return redirect(url_for("user_admin.index"))
    status = 422 if request.method == "POST" else 200
    return _form_page("users/admin/invite.html", form, status, errors=errors)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@administrator_only
def edit(user_id: int):
    """Change name, address, roles, rights and the active flag of a user."""
    user = _user_or_404(user_id)
    form = UserForm(obj=user)
    errors = []
    if form.validate_on_submit():
        try:
            update_user(
                user,
                name=form.name.data,
                email=form.email.data,
                is_administrator=form.is_administrator.data,
                is_license_manager=form.is_license_manager.data,
                may_manage_lists=form.may_manage_lists.data,
                may_send=form.may_send.data,
                active=form.active.data,
            )
        except UserError as exc:
            errors = exc.messages
        else:
            flash(_("The changes to %(name)s have been saved.", name=user.name), "success")
            return redirect(url_for("user_admin.index"))
    status = 422 if request.method == "POST" else 200
    return _form_page("users/admin/edit.html", form, status, user=user, errors=errors)


def _refused(user: User, exc: UserError):
    """A button on a user was refused: the user's page with the reason, status 422."""
    form = UserForm(obj=user, formdata=None)
    return _form_page("users/admin/edit.html", form, 422, user=user, errors=exc.messages)


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@administrator_only
def deactivate(user_id: int):
    """Deactivate a user: they cannot sign in, and every session of theirs ends at once."""
    user = _user_or_404(user_id)
    try:
        deactivate_user(user)
    except UserError as exc:
        return _refused(user, exc)
    flash(_("%(name)s has been deactivated and signed out everywhere.", name=user.name), "success")
    return redirect(url_for("user_admin.index"))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@administrator_only
def unlock(user_id: int):
    """Lift a lock after too many failed sign-ins (SPEC S2)."""
    user = _user_or_404(user_id)
    lockout.unlock(user)
    flash(_("%(name)s can sign in again.", name=user.name), "success")
    return redirect(url_for("user_admin.edit", user_id=user.id))


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@administrator_only
def reactivate(user_id: int):
    """Reactivate a user if the licence has room for one more active user."""
    user = _user_or_404(user_id)
    try:
        invited = reactivate_user(user)
    except UserError as exc:
        return _refused(user, exc)
    if invited:
        flash(_("%(name)s has been reactivated and invited by e-mail.", name=user.name), "success")
    else:
        flash(_("%(name)s has been reactivated.", name=user.name), "success")
    return redirect(url_for("user_admin.index"))


@bp.route("/<int:user_id>/one-time-password", methods=["POST"])
@administrator_only
def one_time_password(user_id: int):
    """Replace the user's password by a one-time password sent to them by e-mail."""
    user = _user_or_404(user_id)
    try:
        send_new_one_time_password(user, by=current_user.name)
    except UserError as exc:
        return _refused(user, exc)
    flash(
        _(
            "A new one-time password has been sent to %(email)s; the previous password no longer "
            "works.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("user_admin.edit", user_id=user.id))

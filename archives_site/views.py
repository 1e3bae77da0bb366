"""Site-wide pages: login (throttled), logout and the home dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import login_throttle
from .dashboard import dashboard_panels
from .forms import LoginForm


class LoginView(auth_views.LoginView):
    """The login form, refusing further attempts after repeated failures."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm  # refuses service accounts (API only), saying why

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        if login_throttle.is_locked_out(request, username):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                _("Too many failed logins. Try again in %(minutes)d minutes.")
                % {"minutes": login_throttle.lockout_minutes()},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        login_throttle.note_failure(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        login_throttle.clear_failures(self.request, form.get_user().get_username())
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Welcome, %(name)s.") % {"name": form.get_user().get_full_name() or form.get_user().get_username()},
        )
        return response


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: each role's work, from the panels the apps contribute (archives_site.dashboard)."""
    return render(request, "home.html", {"panels": dashboard_panels(request)})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and bookmarks ask for /favicon.ico whatever a page's ``<link rel="icon">`` says."""
    return redirect(static("img/favicon.svg"), permanent=True)

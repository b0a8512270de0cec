"""The connect, callback and disconnect views."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_protect

from . import accounts, clock, endpoints, oauth, pending_flows
from .adapter import get_adapter
from .conf import AppSettings, app_settings, oauth_config
from .exceptions import (
    AccountAlreadyLinked,
    CallbackError,
    CoolSMSAPIError,
    MemberNotIdentified,
    StateMismatch,
    TokenError,
)
from .session import fetch_profile

logger = logging.getLogger("coolsms_oauth_django")
security_logger = logging.getLogger("django.security.coolsms_oauth")

#: Longest query value the callback accepts; longer ones are refused with a 400.
MAX_PARAM_LENGTH = 4096
#: Query parameter added by the one-hop page that recovers a SameSite=Strict session cookie.
RESUMED_PARAM = "coolsms_resumed"


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Return ``candidate`` if it is a safe local URL, else ``""``."""
    if (
        candidate
        and candidate.isprintable()
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return ""


def _redirect_uri(request: HttpRequest, config: AppSettings) -> str:
    if config.redirect_uri:
        return config.redirect_uri
    # build_absolute_uri() goes through get_host(), which ALLOWED_HOSTS guards and which
    # ignores X-Forwarded-Host unless USE_X_FORWARDED_HOST is on.
    return request.build_absolute_uri(reverse("coolsms_oauth:callback"))


class ConnectView(LoginRequiredMixin, View):
    """GET shows a confirmation page; POST starts the flow and redirects to CoolSMS."""

    template_name = "coolsms_oauth/connect.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        config = app_settings()
        return render(
            request,
            self.template_name,
            {
                # Empty without a valid next: the adapter decides once the flow ends.
                "next": safe_next(request, request.GET.get("next")),
                "scopes": config.scopes,
                "scope_meanings": [
                    (scope, endpoints.scope_meaning(scope, get_language()))
                    for scope in config.scopes
                ],
                "account": accounts.account_of(request.user),
            },
        )

    @method_decorator(csrf_protect)
    def post(self, request: HttpRequest) -> HttpResponse:
        config = app_settings()
        redirect_uri = _redirect_uri(request, config)
        verifier = oauth.new_code_verifier() if config.use_pkce else None
        flow = pending_flows.begin(
            request.session,
            user_pk=request.user.pk,
            next_url=safe_next(request, request.POST.get("next")),
            redirect_uri=redirect_uri,
            code_verifier=verifier,
            ttl=config.state_ttl,
            limit=config.max_pending_states,
        )
        url = oauth.authorize_url(
            oauth_config(), redirect_uri=redirect_uri, state=flow.state, code_verifier=verifier
        )
        return HttpResponseRedirect(url)


def _notify(request: HttpRequest, level: int, text: str) -> bool:
    """Add a Django message when the messages framework is active; return whether it was."""
    if hasattr(request, "_messages"):
        messages.add_message(request, level, text)
        return True
    return False


class CallbackView(View):
    """Where CoolSMS sends the user back: check the state, exchange the code, store."""

    error_template_name = "coolsms_oauth/error.html"
    resume_template_name = "coolsms_oauth/resume.html"
    connected_template_name = "coolsms_oauth/connected.html"

    def get(self, request: HttpRequest) -> HttpResponseBase:
        try:
            response = self.handle(request)
        except CallbackError as err:
            security_logger.warning("Refused CoolSMS callback: %s", err)
            response = self.refused(request, err)
        # RFC 9700 §4.2.4: the code must not leak through Referer or a cache. A page rendered
        # here keeps the code in its URL, so it sends a Referer only to this site: under
        # "no-referrer" a browser sends "Origin: null" with the page's own forms, which
        # Django's CSRF check refuses.
        redirect = isinstance(response, HttpResponseRedirect)
        response["Referrer-Policy"] = "no-referrer" if redirect else "same-origin"
        response["Cache-Control"] = "no-store"
        return response

    def error(self, request: HttpRequest, text: str, status: int) -> HttpResponse:
        """Render the error page."""
        return render(
            request,
            self.error_template_name,
            {"message": text, "connect_url": reverse("coolsms_oauth:connect")},
            status=status,
        )

    def refused(self, request: HttpRequest, err: CallbackError) -> HttpResponse:
        """Render the page of a refused callback.

        A used, expired or unknown state from a user who is connected (a replayed callback, a
        second tab) says so and leads on, rather than asking to connect again.
        """
        account = accounts.account_of(request.user) if isinstance(err, StateMismatch) else None
        if account is not None and account.is_active:
            next_url = get_adapter().connect_redirect_url(request, account)
            context = {"account": account, "next_url": next_url}
            return render(request, self.connected_template_name, context, status=400)
        return self.error(request, _("This link is not valid. Please connect again."), 400)

    def fail(
        self, request: HttpRequest, flow: pending_flows.PendingFlow, text: str
    ) -> HttpResponse:
        """Tell the user what went wrong: a message on their next page, else an error page."""
        if _notify(request, messages.ERROR, text):
            return HttpResponseRedirect(
                flow.next_url
                or get_adapter().connect_redirect_url(request, accounts.account_of(request.user))
            )
        return self.error(request, text, 400)

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Run the callback; raise :class:`CallbackError` for a request that is not valid."""
        params = request.GET
        for key, value in params.lists():
            if len(key) > 100 or any(len(v) > MAX_PARAM_LENGTH or "\x00" in v for v in value):
                raise CallbackError("The callback carries an oversized or binary parameter.")
        if self.lost_strict_cookie(request):
            if params.get(RESUMED_PARAM):
                return self.error(
                    request,
                    _(
                        "Your browser did not send this site's session cookie back from "
                        "CoolSMS, so the connection cannot be completed. The site's "
                        "SESSION_COOKIE_SAMESITE setting must be 'Lax' for this to work."
                    ),
                    400,
                )
            query = params.copy()
            query[RESUMED_PARAM] = "1"
            return render(
                request, self.resume_template_name, {"resume_url": "?" + query.urlencode()}
            )
        config = app_settings()
        flow = pending_flows.consume(request.session, params.get("state"), ttl=config.state_ttl)
        if not request.user.is_authenticated or str(request.user.pk) != flow.user_pk:
            raise StateMismatch("The callback belongs to a flow another user started.")
        # RFC 9207: an answer from another authorization server is refused, a denial too.
        issuer = params.get("iss")
        if issuer is not None and not oauth.issuer_matches(oauth_config(), issuer):
            raise CallbackError("The callback's iss parameter names another issuer.")
        error = params.get("error") or params.get("errorCode")
        if error:
            # %r: a value from the query cannot start a log line of its own.
            logger.info("CoolSMS authorization ended with %r", error[:100])
            if error == "access_denied":
                text = _("You declined to connect your CoolSMS account. Nothing was saved.")
            else:
                text = _("CoolSMS could not authorize the connection. Nothing was saved.")
            return self.fail(request, flow, text)
        code = params.get("code")
        if not code:
            raise CallbackError("The callback has no code.")
        return self.complete(request, config, flow, code)

    def complete(
        self, request: HttpRequest, config: AppSettings, flow: pending_flows.PendingFlow, code: str
    ) -> HttpResponse:
        """Exchange the code, read the profile and save the connection."""
        http = get_adapter().http_session()
        with http:
            try:
                tokens = oauth.exchange_code(
                    oauth_config(),
                    http,
                    code=code,
                    redirect_uri=flow.redirect_uri,
                    code_verifier=flow.code_verifier,
                    now=clock.now(),
                )
            except TokenError as err:
                logger.warning("CoolSMS code exchange failed: %r", err)
                return self.fail(
                    request,
                    flow,
                    _("CoolSMS did not complete the connection. Please try again."),
                )
            # The profile names the member; without it nothing is stored (see save_connection).
            try:
                profile = fetch_profile(config, http, tokens.access_token)
            except (CoolSMSAPIError, TokenError) as err:
                logger.warning("CoolSMS profile could not be read: %r", err)
                return self.fail(request, flow, self.member_unknown_text())
        try:
            account = accounts.save_connection(
                request.user,  # type: ignore[arg-type]
                tokens,
                profile=profile,
                request=request,
            )
        except MemberNotIdentified:
            logger.warning("CoolSMS profile names no member; nothing was stored")
            return self.fail(request, flow, self.member_unknown_text())
        except AccountAlreadyLinked:
            return self.fail(
                request,
                flow,
                _("This CoolSMS account is already connected to another user of this site."),
            )
        except DatabaseError:
            # The transaction rolled back: nothing was stored. Answer a page of our own (the
            # session may live in the same database, so no message is queued).
            logger.exception("CoolSMS connection could not be saved")
            return self.error(
                request,
                _(
                    "The connection could not be saved right now. Nothing was stored; "
                    "please try again in a moment."
                ),
                503,
            )
        _notify(request, messages.SUCCESS, _("Your CoolSMS account is connected."))
        return HttpResponseRedirect(
            flow.next_url or get_adapter().connect_redirect_url(request, account)
        )

    @staticmethod
    def member_unknown_text() -> str:
        """Return what the user reads when CoolSMS did not say which member connected."""
        return _(
            "CoolSMS did not say which account you connected, so nothing was saved. "
            "Please try again."
        )

    @staticmethod
    def lost_strict_cookie(request: HttpRequest) -> bool:
        """Return whether a SameSite=Strict session cookie stayed behind on CoolSMS's redirect."""
        return (
            str(getattr(settings, "SESSION_COOKIE_SAMESITE", "")).lower() == "strict"
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )


class DisconnectView(LoginRequiredMixin, View):
    """POST deletes the user's connection and its tokens; GET changes nothing."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        """Send a GET to the page with the button, disconnecting nothing.

        A Disconnect pressed after the session ended comes back from the login page as a
        GET of this URL: a blank 405 would leave the user stranded.
        """
        return HttpResponseRedirect(
            safe_next(request, request.GET.get("next"))
            or resolve_url(app_settings().connect_redirect_url)
        )

    @method_decorator(csrf_protect)
    def post(self, request: HttpRequest) -> HttpResponse:
        config = app_settings()
        account = accounts.account_of(request.user)
        if account is not None:
            accounts.disconnect(account, request=request)
            _notify(request, messages.SUCCESS, _("Your CoolSMS account is disconnected."))
        return HttpResponseRedirect(
            safe_next(request, request.POST.get("next")) or resolve_url(config.connect_redirect_url)
        )

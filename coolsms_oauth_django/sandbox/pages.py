"""The sandbox's HTML: login, consent and index pages. Everything echoed is escaped."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from ..endpoints import AUTHORIZE_PATH
from .scopes import APP_SCOPES
from .users import SandboxUser

_STYLE = """
body{font-family:system-ui,-apple-system,"Apple SD Gothic Neo","Malgun Gothic",sans-serif;
background:#f5f6f8;color:#1d2129;margin:0;padding:2rem 1rem}
main{max-width:34rem;margin:0 auto;background:#fff;border:1px solid #dde1e6;border-radius:8px;
padding:1.5rem 2rem}
main.wide{max-width:56rem}
h1{font-size:1.3rem;margin-top:0}
label{display:block;margin:.8rem 0 .2rem}
input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;
padding:.5rem;border:1px solid #b8bfc7;border-radius:4px}
button{margin-top:1rem;padding:.5rem 1.2rem;border-radius:4px;border:1px solid #2f6fdb;
background:#2f6fdb;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#2f6fdb}
.error{color:#b3261e;background:#fdecea;padding:.5rem;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{text-align:left;border-bottom:1px solid #e3e6ea;padding:.4rem}
code{font-size:.9em}
.note{color:#5f6b7a;font-size:.9rem}
"""


def _layout(title: str, body: str, *, wide: bool = False) -> str:
    main_class = ' class="wide"' if wide else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main{main_class}>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _hidden_fields(params: dict[str, str]) -> str:
    return "\n".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in params.items()
    )


def login_page(params: dict[str, str], *, error: str | None = None, login: str = "") -> str:
    """Render the sandbox login form, posting back to the authorize endpoint."""
    error_html = f'<p class="error" id="login-error">{escape(error)}</p>\n' if error else ""
    body = f"""<h1>CoolSMS 샌드박스 로그인 / Sandbox login</h1>
<p class="note">이 화면은 개발용 샌드박스입니다. This is a local development sandbox.</p>
{error_html}<form method="post" action="{AUTHORIZE_PATH}" id="login-form">
{_hidden_fields(params)}
<input type="hidden" name="action" value="login">
<label for="login">아이디 (이메일) / Login (e-mail)</label>
<input type="email" id="login" name="login" value="{escape(login)}"
 autocomplete="username" required>
<label for="password">비밀번호 / Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="login-submit">로그인 / Log in</button>
</form>"""
    return _layout("CoolSMS sandbox login", body)


def consent_page(
    params: dict[str, str],
    *,
    user: SandboxUser,
    client_id: str,
    redirect_uri: str,
    scopes: Iterable[str],
    nonce: str,
) -> str:
    """Render the consent page listing the requested scopes in Korean and English."""
    rows = "\n".join(
        f'<tr><td><code>{escape(scope)}</code></td><td lang="ko">{escape(APP_SCOPES[scope].korean)}'
        f'</td><td lang="en">{escape(APP_SCOPES[scope].english)}</td></tr>'
        for scope in scopes
    )
    body = f"""<h1>권한 승인 / Authorize application</h1>
<p>애플리케이션 <code id="client-id">{escape(client_id)}</code> 이(가) 다음 권한을 요청합니다.<br>
The application <code>{escape(client_id)}</code> asks for these permissions.</p>
<table id="scopes">
<thead><tr><th>Scope</th><th>설명</th><th>Description</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p class="note">승인하면 다음 주소로 돌아갑니다. You will return to:
<code id="redirect-uri">{escape(redirect_uri)}</code></p>
<p>로그인 계정 / Signed in as: <strong id="member">{escape(user.name)}</strong>
(<span id="member-login">{escape(user.login)}</span>)</p>
<form method="post" action="{AUTHORIZE_PATH}" id="consent-form">
{_hidden_fields(params)}
<input type="hidden" name="action" value="consent">
<input type="hidden" name="nonce" value="{escape(nonce)}">
<button type="submit" id="approve" name="decision" value="approve">승인 / Approve</button>
<button type="submit" id="deny" name="decision" value="deny" class="secondary">거부 / Deny</button>
</form>
<form method="post" action="{AUTHORIZE_PATH}" id="switch-form">
{_hidden_fields(params)}
<input type="hidden" name="action" value="logout">
<button type="submit" id="switch-account" class="secondary">
다른 계정 사용 / Use another account</button>
</form>"""
    return _layout("CoolSMS sandbox consent", body)


def index_page(
    *,
    base_url: str,
    client_id: str,
    users: Iterable[SandboxUser],
    messages: Iterable[dict[str, Any]],
) -> str:
    """Render the sandbox home page: its client, its users and the messages sent."""
    user_rows = "\n".join(
        f"<tr><td><code>{escape(u.member_id)}</code></td><td>{escape(u.name)}</td>"
        f"<td>{escape(u.login)}</td><td><code>{escape(u.password)}</code></td>"
        f"<td>{escape(u.phone_number)}</td><td>{u.balance:,.0f}</td><td>{u.point:,.0f}</td></tr>"
        for u in users
    )
    message_rows = "\n".join(
        f"<tr><td>{escape(m['date_created'])}</td><td>{escape(m['from'])}</td>"
        f"<td>{escape(m['to'])}</td><td>{escape(m['type'])}</td><td>{escape(m['text'])}</td></tr>"
        for m in messages
    )
    if not message_rows:
        message_rows = '<tr><td colspan="5">아직 없습니다 / None yet</td></tr>'
    scope_rows = "\n".join(
        f"<tr><td><code>{escape(scope)}</code></td><td>{escape(text.korean)}</td>"
        f"<td>{escape(text.english)}</td></tr>"
        for scope, text in APP_SCOPES.items()
    )
    body = f"""<h1>CoolSMS 샌드박스 / CoolSMS sandbox</h1>
<p>Base URL: <code id="base-url">{escape(base_url)}</code><br>
Client ID: <code id="client-id">{escape(client_id)}</code></p>
<h2>사용자 / Users</h2>
<table id="users">
<thead><tr><th>Member ID</th><th>이름 / Name</th><th>Login</th><th>Password</th><th>Phone</th>
<th>잔액 / Balance</th><th>포인트 / Point</th></tr></thead>
<tbody>
{user_rows}
</tbody>
</table>
<h2>보낸 메시지 / Messages sent</h2>
<table id="messages">
<thead><tr><th>Date</th><th>From</th><th>To</th><th>Type</th><th>Text</th></tr></thead>
<tbody>
{message_rows}
</tbody>
</table>
<h2>권한 / Scopes</h2>
<table id="scope-table">
<thead><tr><th>Scope</th><th>설명</th><th>Description</th></tr></thead>
<tbody>
{scope_rows}
</tbody>
</table>"""
    return _layout("CoolSMS sandbox", body, wide=True)
